"""Generic signed JSON webhook for other systems: ``webhook://host[:port]/path`` (HTTP) and
``webhooks://host[:port]/path`` (HTTPS).

Setup: the receiving system (an OA, a 12345 platform, a ticketing system…) gives you a URL; agree on
a shared secret and configure ``url = "webhooks://oa.example.gov.cn/hooks/yuqing"`` with
``secret_env = "YUQING_WEBHOOK_SECRET"``.

Request: POST, ``Content-Type: application/json; charset=utf-8``, body
``{"title": …, "body": …, "sent_at": "2026-06-17T08:30:00Z", "mention_mobiles": […]}`` and headers
``X-Yuqing-Timestamp: <unix seconds>`` and
``X-Yuqing-Signature: sha256=<hex HMAC-SHA256(key=secret, msg=timestamp + "." + raw body)>``.
The receiver recomputes the HMAC over the raw bytes it received, compares in constant time and
rejects timestamps more than a few minutes old (the timestamp is signed, so a captured request cannot
be replayed later). Success is any 2xx whose JSON body (if any) has no non-zero ``errcode``/``code``.
Without a secret the channel refuses to start unless ``?unsigned=1`` says that is intended.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from alerts.channels.base import ChannelConfigError, ChannelOptions, ChannelUrl, pick_secret
from alerts.channels.http import HttpChannel, json_code

SIGNATURE_HEADER = "X-Yuqing-Signature"
TIMESTAMP_HEADER = "X-Yuqing-Timestamp"


def webhook_signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The value of the signature header: ``sha256=`` + hex HMAC over ``b"<ts>." + raw_body``."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode() + b"." + raw_body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel(HttpChannel):
    kind = "webhook"
    display_name = "Webhook"
    params = frozenset({"secret", "unsigned", "cafile"})
    secret_names = ("secret",)

    def __init__(self, url: ChannelUrl, secret: str | None, options: ChannelOptions) -> None:
        super().__init__(url.raw, [secret], options)
        self.secret = secret
        protocol = "https" if url.scheme == "webhooks" else "http"
        self.target = f"{protocol}://{url.host}{url.path or '/'}"
        self.verify = url.params.get("cafile") or True

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> WebhookChannel:
        if not url.host or "@" in url.host:
            raise ChannelConfigError(
                "Webhook 渠道地址应形如 webhooks://主机[:端口]/路径（不要在地址中写用户名密码）"
            )
        secret = pick_secret(url, "secret", url.params.get("secret"), options.secrets)
        if not secret and url.params.get("unsigned") not in ("1", "true", "yes"):
            raise ChannelConfigError(
                "Webhook 渠道缺少签名密钥：请配置 secret_env；确实不需要签名时在地址后加 ?unsigned=1"
            )
        return cls(url, secret, options)

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        now = self.clock()
        sent_at = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = {"title": title, "body": body, "sent_at": sent_at, "mention_mobiles": list(mentions)}
        raw = self.encode(payload)
        headers = {}
        if self.secret:  # sign the exact bytes that go on the wire
            headers = {
                TIMESTAMP_HEADER: str(int(now)),
                SIGNATURE_HEADER: webhook_signature(self.secret, int(now), raw),
            }
        reply = self.post_bytes(self.target, raw, headers)
        if reply is None or not self.check_http(reply):
            return False
        data = reply.data or {}
        code = json_code(data, "errcode", "code")
        if code:
            msg = data.get("errmsg") or data.get("msg") or ""
            return self.fail(f"{self.label}：对方返回错误码 {code}（{msg}）")
        return True
