"""钉钉自定义机器人 (DingTalk custom robot) with 加签: ``dingtalk://TOKEN?secret=SEC``.

Setup: in 钉钉 open the group → 群设置 → 机器人 → 添加机器人 → 自定义 → name it, under 安全设置 tick
「加签」and copy the secret (starts with ``SEC``), agree and finish, then copy the Webhook
``https://oapi.dingtalk.com/robot/send?access_token=TOKEN``. Configure ``url = "dingtalk://"`` with
``token_env = "YUQING_DINGTALK_TOKEN"`` and ``secret_env = "YUQING_DINGTALK_SECRET"``. (「自定义关键词」
also works instead of 加签: use the keyword 舆情, which every alert title contains.)

Signature: sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}"))) as the
``timestamp`` and ``sign`` query parameters. Limits: 20 messages per minute, then the robot is blocked
for 10 minutes (errcode 130101). errcode 310000 covers a bad signature, a stale timestamp, a missing
keyword and an IP not on the whitelist; the errmsg says which.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, quote_plus

from alerts.channels.base import ChannelConfigError, ChannelOptions, ChannelUrl, pick_secret
from alerts.channels.http import HttpChannel, check_base_url, json_code
from alerts.channels.wecom import split_mobiles
from alerts.messages import truncate_utf8
from alerts.ratelimit import DINGTALK_LIMIT

DEFAULT_BASE = "https://oapi.dingtalk.com"
SEND_PATH = "/robot/send"
TEXT_MAX = 20000  # markdown text; the service rejects far larger bodies

HINTS_310000 = {
    "sign not match": "加签校验失败：secret 不正确",
    "invalid timestamp": "时间戳无效：本机时间与钉钉服务器相差超过1小时",
    "keywords not in content": "消息不含机器人设置的自定义关键词（建议关键词设为“舆情”）",
    "not in whitelist": "本机 IP 不在机器人的 IP 白名单中",
}


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), *before* URL encoding."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkChannel(HttpChannel):
    kind = "dingtalk"
    display_name = "钉钉"
    params = frozenset({"secret", "mentioned_mobile", "base_url", "cafile"})
    secret_names = ("token", "secret")

    def __init__(self, url: ChannelUrl, token: str, secret: str | None, options: ChannelOptions) -> None:
        super().__init__(url.raw, [token, secret], options)
        self.token = token
        self.secret = secret
        self.mentions = split_mobiles(url.params.get("mentioned_mobile", ""))
        self.endpoint = check_base_url(url, url.params.get("base_url") or options.base_url or DEFAULT_BASE)
        self.verify = url.params.get("cafile") or True
        self.rate = DINGTALK_LIMIT
        self.max_body_bytes = TEXT_MAX - 500

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> DingTalkChannel:
        token = pick_secret(url, "token", url.host, options.secrets)
        if not token:
            raise ChannelConfigError("钉钉渠道缺少 access_token：写成 dingtalk://TOKEN，或配置 token_env")
        secret = pick_secret(url, "secret", url.params.get("secret"), options.secrets)
        return cls(url, token, secret, options)

    def send_url(self) -> str:
        url = f"{self.endpoint}{SEND_PATH}?access_token={quote(self.token, safe='')}"
        if self.secret:
            timestamp = int(self.clock() * 1000)
            # The base64 sign contains + / =, so it must be percent-encoded exactly once.
            url += f"&timestamp={timestamp}&sign={quote_plus(dingtalk_sign(timestamp, self.secret))}"
        return url

    def payload(self, title: str, body: str, mentions: tuple[str, ...]) -> dict[str, object]:
        mobiles = [m for m in mentions if m[:1].isdigit()]
        at_all = "all" in mentions
        # DingTalk markdown needs a hard break ("  \n") to keep lines apart; the @ must be in the text.
        text = f"#### {title}\n{body}".replace("\n", "  \n")
        if mobiles or at_all:
            text += "\n\n" + " ".join(["@" + m for m in mobiles] + (["@所有人"] if at_all else []))
        markdown = {"title": title, "text": truncate_utf8(text, TEXT_MAX)}
        return {"msgtype": "markdown", "markdown": markdown, "at": {"atMobiles": mobiles, "isAtAll": at_all}}

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        payload = self.payload(title, body, tuple(dict.fromkeys(self.mentions + mentions)))
        reply = self.post_json(self.send_url(), payload)
        if reply is None or not self.check_http(reply):
            return False
        if reply.data is None:
            return self.fail(f"{self.label}：返回内容不是 JSON：{reply.text[:200]}")
        code, errmsg = json_code(reply.data, "errcode"), str(reply.data.get("errmsg", ""))
        if code == 0:
            return True
        if code == 130101:
            wait = self.rate.block_seconds
            return self.fail(
                f"{self.label}：发送过于频繁，机器人被限流{wait / 60:g}分钟（{errmsg}）", retry_after=wait
            )
        if code == 310000:
            hint = next((h for k, h in HINTS_310000.items() if k in errmsg), "安全设置校验失败")
            return self.fail(f"{self.label}：errcode=310000 {hint}（{errmsg}）", permanent=True)
        if code == 300001:
            return self.fail(f"{self.label}：access_token 无效或机器人已删除（{errmsg}）", permanent=True)
        return self.fail(f"{self.label}：errcode={code}（{errmsg}）")
