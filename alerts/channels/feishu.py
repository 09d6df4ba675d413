"""飞书自定义机器人 (Feishu custom bot): ``feishu://TOKEN?secret=SEC``.

Setup: in 飞书 open the group → 设置 → 群机器人 → 添加机器人 → 自定义机器人 → name it and copy the
webhook ``https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN``; under 安全设置 turn on 「签名校验」
and copy the secret. Configure ``url = "feishu://"`` with ``token_env = "YUQING_FEISHU_TOKEN"`` and
``secret_env = "YUQING_FEISHU_SECRET"``. Lark (international) or a private deployment: set
``base_url`` (e.g. ``https://open.larksuite.com``).

Signature — not DingTalk's: the string ``f"{timestamp_s}\\n{secret}"`` is the HMAC-SHA256 *key* over an
empty message; base64 of the digest goes as ``sign``, with ``timestamp`` (seconds, a string), in the
JSON body. A DingTalk-style signature gets code 19021. Limits: 100 per minute and 5 per second.
Replies: ``{"code":0,...}`` (older: ``{"StatusCode":0,...}``) on success. Custom bots cannot @ by
mobile number: mention ``ou_…`` open_ids or ``all``; mobile numbers are shown as text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from alerts.channels.base import ChannelConfigError, ChannelOptions, ChannelUrl, pick_secret
from alerts.channels.http import HttpChannel, check_base_url, json_code
from alerts.messages import truncate_utf8
from alerts.ratelimit import FEISHU_LIMIT

DEFAULT_BASE = "https://open.feishu.cn"
HOOK_PATH = "/open-apis/bot/v2/hook/"
BODY_MAX = 18000  # the request body may be at most 20 KB

ERRORS = {
    19021: "签名校验失败：secret 不正确，或本机时间与飞书服务器相差超过1小时",
    19022: "本机 IP 不在机器人的 IP 白名单中",
    19024: "消息不含机器人设置的自定义关键词（建议关键词设为“舆情”）",
    9499: "请求格式错误",
}
PERMANENT = frozenset({19021, 19022, 19024, 9499})
RATE_LIMITED = frozenset({11232, 99991400})


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(HttpChannel):
    kind = "feishu"
    display_name = "飞书"
    params = frozenset({"secret", "base_url", "cafile"})
    secret_names = ("token", "secret")

    def __init__(self, url: ChannelUrl, token: str, secret: str | None, options: ChannelOptions) -> None:
        super().__init__(url.raw, [token, secret], options)
        self.token = token
        self.secret = secret
        self.endpoint = check_base_url(url, url.params.get("base_url") or options.base_url or DEFAULT_BASE)
        self.verify = url.params.get("cafile") or True
        self.rate = FEISHU_LIMIT
        self.max_body_bytes = BODY_MAX - 1000

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> FeishuChannel:
        token = pick_secret(url, "token", url.host, options.secrets)
        if not token:
            raise ChannelConfigError("飞书渠道缺少 webhook token：写成 feishu://TOKEN，或配置 token_env")
        return cls(url, token, pick_secret(url, "secret", url.params.get("secret"), options.secrets), options)

    def payload(self, title: str, body: str, mentions: tuple[str, ...]) -> dict[str, object]:
        ats = [f"<at id={m}></at>" for m in mentions if m == "all" or m.startswith("ou_")]
        mobiles = [m for m in mentions if m[:1].isdigit()]
        if mobiles:
            ats.append("请关注：" + "、".join(mobiles))
        content = truncate_utf8(body + ("\n" + " ".join(ats) if ats else ""), BODY_MAX)
        card = {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": title}, "template": "red"},
            "elements": [{"tag": "markdown", "content": content}],
        }
        payload: dict[str, object] = {"msg_type": "interactive", "card": card}
        if self.secret:
            timestamp = int(self.clock())
            payload.update(timestamp=str(timestamp), sign=feishu_sign(timestamp, self.secret))
        return payload

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        url = f"{self.endpoint}{HOOK_PATH}{quote(self.token, safe='')}"
        reply = self.post_json(url, self.payload(title, body, mentions))
        if reply is None or not self.check_http(reply):
            return False
        if reply.data is None:
            return self.fail(f"{self.label}：返回内容不是 JSON：{reply.text[:200]}")
        code = json_code(reply.data, "code", "StatusCode")
        if code == 0:
            return True
        msg = str(reply.data.get("msg", reply.data.get("StatusMessage", "")))
        hint = ERRORS.get(code, "") if code is not None else "返回内容缺少 code"
        message = f"{self.label}：code={code} {hint}（{msg}）"
        if code in RATE_LIMITED:
            return self.fail(message, retry_after=self.rate.default_retry_after)
        return self.fail(message, permanent=code in PERMANENT)
