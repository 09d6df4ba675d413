"""JSON-over-HTTPS plumbing shared by the webhook channels: one POST, every failure turned into a
masked Chinese ``last_error`` instead of an exception."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from alerts.channels.base import Channel, ChannelConfigError, ChannelOptions, ChannelUrl

# WeCom and DingTalk put the credential in the URL, and urllib3 logs every request line at DEBUG: keep
# that logger quiet whatever the application's level, so a debug session cannot leak a robot key.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)


@dataclass(frozen=True)
class Reply:
    status: int
    data: dict[str, Any] | None  # the JSON object, if the body was one
    text: str
    retry_after: float | None  # from a Retry-After header


def check_base_url(url: ChannelUrl, base: str) -> str:
    """``base_url`` must be http(s)://host[:port][/prefix]: the fixed API path is appended to it."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ChannelConfigError(
            f"预警渠道 {url.raw.split('://')[0]} 的 base_url 应形如 https://主机[:端口][/前缀]"
        )
    return base.rstrip("/")


def json_code(data: Mapping[str, Any], *keys: str) -> int | None:
    """The first integer error code under ``keys`` ("errcode", "code", "StatusCode"), else None."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: not worth parsing, the caller falls back to its default
        return None


class HttpChannel(Channel):
    """Adds :meth:`post_json` and the generic HTTP status checks."""

    def __init__(self, url: str, secrets: Iterable[str | None], options: ChannelOptions) -> None:
        super().__init__(url, secrets, options)
        self.verify: bool | str = True  # or a CA bundle path for a private (e.g. 政务内网) CA

    @staticmethod
    def encode(payload: Any) -> bytes:
        """The exact bytes sent for ``payload`` (UTF-8 JSON, Chinese unescaped)."""
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def post_json(self, url: str, payload: Any, headers: Mapping[str, str] | None = None) -> Reply | None:
        """POST ``payload`` as UTF-8 JSON; None (with ``last_error`` set) on a network failure."""
        return self.post_bytes(url, self.encode(payload), headers)

    def post_bytes(self, url: str, raw: bytes, headers: Mapping[str, str] | None = None) -> Reply | None:
        head = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            # No redirects: a webhook that redirects is misconfigured, and following it would resend
            # the key to another host.
            resp = requests.post(
                url, data=raw, headers=head, timeout=self.timeout, allow_redirects=False, verify=self.verify
            )
        except requests.Timeout:
            self.fail(f"{self.label}：{self.timeout:g}秒内未响应（超时）")
            return None
        except requests.RequestException as exc:
            self.fail(f"{self.label}：网络错误 {type(exc).__name__}: {exc}")
            return None
        try:
            data = resp.json()
        except ValueError:
            data = None
        obj = data if isinstance(data, dict) else None
        return Reply(resp.status_code, obj, resp.text, _retry_after(resp.headers))

    @property
    def label(self) -> str:
        return f"{self.display_name}发送失败"

    def check_http(self, reply: Reply) -> bool:
        """False (with ``last_error`` set) unless the HTTP status is 2xx."""
        if 200 <= reply.status < 300:
            return True
        snippet = " ".join(reply.text.split())[:200]
        if reply.status == 429:
            wait = reply.retry_after or self.rate.default_retry_after
            return self.fail(
                f"{self.label}：HTTP 429 发送过于频繁，{wait:g}秒后重试 {snippet}", retry_after=wait
            )
        if reply.status >= 500:
            return self.fail(f"{self.label}：服务端错误 HTTP {reply.status} {snippet}")
        if 300 <= reply.status < 400:
            return self.fail(
                f"{self.label}：HTTP {reply.status} 重定向，请检查地址或 base_url", permanent=True
            )
        return self.fail(
            f"{self.label}：HTTP {reply.status} {snippet}", permanent=reply.status in (401, 403, 404)
        )
