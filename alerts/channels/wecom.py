"""企业微信群机器人 (WeCom group robot): ``wecom://KEY?mentioned_mobile=138…,139…``.

Setup: in 企业微信 open the group chat → 「…」(群设置) → 「消息推送」(older versions: 「群机器人」)
→ 「添加」→ 新创建一个机器人 → copy the Webhook address
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=XXXX``. The key *is* the credential: put it in
an environment variable and configure ``url = "wecom://"`` with ``key_env = "YUQING_WECOM_KEY"``.

Limits: 20 messages per minute per robot (errcode 45009 when exceeded); markdown ≤ 4096 bytes,
text ≤ 2048 bytes. Only *text* messages can @ people by mobile number, so an alert with mentions goes
as text (plain), one without as markdown.
"""

from __future__ import annotations

from urllib.parse import quote

from alerts.channels.base import ChannelConfigError, ChannelOptions, ChannelUrl, pick_secret
from alerts.channels.http import HttpChannel, check_base_url, json_code
from alerts.messages import markdown_to_text, truncate_utf8
from alerts.ratelimit import WECOM_LIMIT

DEFAULT_BASE = "https://qyapi.weixin.qq.com"
SEND_PATH = "/cgi-bin/webhook/send"
MARKDOWN_MAX = 4096
TEXT_MAX = 2048

ERRORS = {
    93000: "机器人 key 无效（机器人可能已被删除或移出群聊），请重新复制 Webhook 地址",
    45009: "发送过于频繁（每个机器人每分钟最多20条）",
    40008: "消息类型无效",
    40058: "消息参数不合法",
}
PERMANENT = frozenset({93000, 40008, 40058})


def split_mobiles(value: str) -> tuple[str, ...]:
    return tuple(m.strip() for m in value.replace("，", ",").split(",") if m.strip())


class WeComChannel(HttpChannel):
    kind = "wecom"
    display_name = "企业微信"
    params = frozenset({"mentioned_mobile", "base_url", "cafile"})
    secret_names = ("key",)

    def __init__(self, url: ChannelUrl, key: str, mentions: tuple[str, ...], options: ChannelOptions) -> None:
        super().__init__(url.raw, [key], options)
        self.key = key
        self.mentions = mentions
        self.endpoint = check_base_url(url, url.params.get("base_url") or options.base_url or DEFAULT_BASE)
        self.verify = url.params.get("cafile") or True
        self.rate = WECOM_LIMIT
        self.max_body_bytes = MARKDOWN_MAX - 300  # room for the title line

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> WeComChannel:
        key = pick_secret(url, "key", url.host, options.secrets)
        if not key:
            raise ChannelConfigError(
                "企业微信渠道缺少机器人 key：写成 wecom://KEY，或配置 key_env 指向保存 key 的环境变量"
            )
        return cls(url, key, split_mobiles(url.params.get("mentioned_mobile", "")), options)

    def payload(self, title: str, body: str, mentions: tuple[str, ...]) -> dict[str, object]:
        # Feishu open_ids mean nothing to WeCom; "all" is spelled "@all" here.
        mobiles = [("@all" if m == "all" else m) for m in mentions if not m.startswith("ou_")]
        if mobiles:
            text = truncate_utf8(markdown_to_text(f"{title}\n{body}"), TEXT_MAX)
            return {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
        content = truncate_utf8(f"**{title}**\n{body}", MARKDOWN_MAX)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        payload = self.payload(title, body, tuple(dict.fromkeys(self.mentions + mentions)))
        reply = self.post_json(f"{self.endpoint}{SEND_PATH}?key={quote(self.key, safe='')}", payload)
        if reply is None or not self.check_http(reply):
            return False
        if reply.data is None:
            return self.fail(f"{self.label}：返回内容不是 JSON：{reply.text[:200]}")
        code = json_code(reply.data, "errcode")
        if code == 0:
            return True
        hint = ERRORS.get(code, "") if code is not None else "返回内容缺少 errcode"
        message = f"{self.label}：errcode={code} {hint}（{reply.data.get('errmsg', '')}）"
        if code == 45009:
            return self.fail(message, retry_after=self.rate.default_retry_after)
        return self.fail(message, permanent=code in PERMANENT)
