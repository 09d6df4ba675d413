"""Channels, found by URL scheme. :func:`make_channel` is the one way to build one.

Secrets never have to be in the URL: the config names environment variables (``key_env``,
``token_env``, ``secret_env``, ``password_env``) and the caller passes the resolved values as
``secrets={"key": …}``. This package reads no environment itself; :func:`make_channel_from_config`
takes the environment as an explicit mapping.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from alerts.channels.base import Channel, ChannelConfigError, ChannelOptions, Clock, parse_url
from alerts.channels.console import ConsoleChannel
from alerts.channels.dingtalk import DingTalkChannel
from alerts.channels.feishu import FeishuChannel
from alerts.channels.file import FileChannel
from alerts.channels.smtp import SmtpChannel
from alerts.channels.webhook import WebhookChannel
from alerts.channels.wecom import WeComChannel
from alerts.masking import describe

SCHEMES: dict[str, type[Channel]] = {
    "wecom": WeComChannel,
    "dingtalk": DingTalkChannel,
    "feishu": FeishuChannel,
    "smtp": SmtpChannel,
    "webhook": WebhookChannel,
    "webhooks": WebhookChannel,
    "file": FileChannel,
    "console": ConsoleChannel,
}

# People paste the webhook address from the app; say what to write instead (without echoing the key).
_PASTED_HOSTS = {
    "qyapi.weixin.qq.com": "wecom://（key 写入 key_env 指向的环境变量）",
    "oapi.dingtalk.com": "dingtalk://（access_token 写入 token_env，加签密钥写入 secret_env）",
    "open.feishu.cn": "feishu://（hook 地址最后一段写入 token_env，签名密钥写入 secret_env）",
    "open.larksuite.com": "feishu://?base_url=https://open.larksuite.com",
}

__all__ = [
    "SCHEMES",
    "Channel",
    "ChannelConfigError",
    "env_keys",
    "make_channel",
    "make_channel_from_config",
]


def _channel_class(url: str) -> type[Channel]:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("http", "https"):
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].lower()
        hint = _PASTED_HOSTS.get(host, "webhook://主机/路径 或 webhooks://主机/路径")
        raise ChannelConfigError(f"预警渠道地址不能直接写 {scheme}:// 网址，请改写为 {hint}")
    if scheme not in SCHEMES:
        raise ChannelConfigError(
            f"不支持的预警渠道“{describe(url)}”；可用：{'、'.join(s + '://' for s in SCHEMES)}"
        )
    return SCHEMES[scheme]


def make_channel(
    url: str,
    secrets: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    base_urls: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Channel:
    """Build the channel for ``url``.

    ``secrets``: resolved secret values by name ("key", "token", "secret", "password"; see
    :func:`env_keys`), used where the URL leaves them out. ``base_urls``: service base URL by kind
    ("wecom", "dingtalk", "feishu"), for a private deployment or a test server; a ``base_url=``
    parameter in the URL wins. ``clock``: epoch seconds for signatures (default ``time.time``).
    Raises :class:`ChannelConfigError` (Chinese, secrets masked) for a bad URL or missing secret.
    """
    cls = _channel_class(url)
    given = {k: v for k, v in (secrets or {}).items() if v}
    unknown = sorted(set(given) - set(cls.secret_names))
    if unknown:
        allowed = "、".join(cls.secret_names) or "无"
        raise ChannelConfigError(f"{cls.display_name}渠道不使用密钥“{'、'.join(unknown)}”；可用：{allowed}")
    if timeout <= 0:
        raise ChannelConfigError(f"预警渠道超时时间应大于0秒，而不是 {timeout}")
    options = ChannelOptions(given, timeout, (base_urls or {}).get(cls.kind), clock or time.time)
    return cls.from_url(parse_url(url, cls.params), options)


def env_keys(url: str) -> tuple[str, ...]:
    """The ``*_env`` config keys a channel URL accepts, e.g. ("token_env", "secret_env")."""
    return tuple(f"{name}_env" for name in _channel_class(url).secret_names)


def make_channel_from_config(
    name: str,
    table: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    timeout: float = 10.0,
    base_urls: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    where: str = "alerts.channels",
) -> Channel:
    """Build a channel from one ``[alerts.channels.NAME]`` table: ``url`` plus ``*_env`` keys naming
    environment variables, looked up in ``env`` (the caller passes the process environment or its settings).

    A missing variable raises :class:`ChannelConfigError` naming the key and the variable, so the
    caller can disable the channel and say why ("alerts: channel wecom disabled: no key").
    """
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ChannelConfigError(f'{where}.{name} 缺少必填项 url（如 url = "wecom://"）')
    allowed = {"url", "timeout", *env_keys(url)}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ChannelConfigError(
            f"{where}.{name} 有未知配置项“{'、'.join(unknown)}”；可用：{'、'.join(sorted(allowed))}"
        )
    secrets: dict[str, str] = {}
    for key in sorted(set(table) & set(env_keys(url))):
        var = table[key]
        if not isinstance(var, str) or not var:
            raise ChannelConfigError(f'{where}.{name}.{key} 应为环境变量名，如 "YUQING_WECOM_KEY"')
        value = env.get(var, "")
        if not value:
            raise ChannelConfigError(f"{where}.{name}.{key}：环境变量 {var} 未设置或为空")
        secrets[key.removesuffix("_env")] = value
    own_timeout = table.get("timeout", timeout)
    if not isinstance(own_timeout, int | float) or isinstance(own_timeout, bool):
        raise ChannelConfigError(f"{where}.{name}.timeout 应为秒数")
    try:
        return make_channel(url, secrets, float(own_timeout), base_urls, clock)
    except ChannelConfigError as exc:
        raise ChannelConfigError(f"{where}.{name}：{exc}") from exc
