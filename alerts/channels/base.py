"""The one shape every channel has, and the URL and secret handling they share.

``send(title, body) -> bool`` never raises: an alert that cannot go out must leave the sweep running
and the outbox row in place. On failure it sets ``last_error`` (Chinese, secrets masked),
``retry_after`` (seconds) when the service said "too fast", and ``permanent`` when retrying cannot
help until someone fixes the configuration (wrong key, wrong signature, keyword missing).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from alerts.masking import describe, mask
from alerts.ratelimit import UNLIMITED, RateLimit

Clock = Callable[[], float]


class ChannelConfigError(ValueError):
    """A channel URL or its secrets are unusable; the Chinese message never contains a secret."""


@dataclass(frozen=True)
class ChannelUrl:
    """A parsed channel URL: ``host`` is the part after ``scheme://`` up to the path (a key, a token
    or ``user@host:port``), ``params`` the query string (each key at most once)."""

    scheme: str
    host: str
    path: str
    params: dict[str, str]
    raw: str


def parse_url(url: str, allowed_params: Iterable[str]) -> ChannelUrl:
    """Split a channel URL and reject unknown or repeated query parameters (typos such as
    ``secert=`` would otherwise silently disable signing)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ChannelConfigError(f"预警渠道地址无法解析：{describe(url)}") from exc
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise ChannelConfigError(f"预警渠道地址 {describe(url)} 中参数 {key} 重复")
        params[key] = value
    unknown = sorted(set(params) - set(allowed_params))
    if unknown:
        raise ChannelConfigError(
            f"预警渠道地址 {describe(url)} 有未知参数“{'、'.join(unknown)}”；"
            f"可用：{'、'.join(sorted(allowed_params)) or '无'}"
        )
    return ChannelUrl(parts.scheme.lower(), unquote(parts.netloc), parts.path, params, url)


@dataclass(frozen=True)
class ChannelOptions:
    """What :func:`alerts.channels.make_channel` hands every channel besides its URL."""

    secrets: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    base_url: str | None = None
    # Wall clock (epoch seconds) for signatures and "sent_at"; the services reject signatures whose
    # timestamp is more than an hour off, so it must be real time in production.
    clock: Clock = time.time


def pick_secret(url: ChannelUrl, name: str, in_url: str | None, secrets: Mapping[str, str]) -> str | None:
    """A secret given either literally in the URL or in ``secrets`` (resolved from an env var).

    Both at once is a configuration mistake (which one is current?), so it is an error.
    """
    given = secrets.get(name) or None
    if in_url and given and in_url != given:
        raise ChannelConfigError(
            f"预警渠道 {describe(url.raw)} 的 {name} 同时写在地址和环境变量中且不一致，请只保留一处"
        )
    return given or in_url or None


class Channel(ABC):
    """Base class: subclasses implement :meth:`_send` and may raise inside it freely."""

    kind: ClassVar[str]
    display_name: ClassVar[str]  # Chinese, for messages: "企业微信"
    params: ClassVar[frozenset[str]] = frozenset()
    secret_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, url: str, secrets: Iterable[str | None], options: ChannelOptions) -> None:
        self._secrets = tuple(s for s in secrets if s)
        self.description = describe(url, self._secrets)
        self.timeout = options.timeout
        self.clock = options.clock
        self.rate: RateLimit = UNLIMITED
        self.max_body_bytes: int | None = None
        self.last_error: str | None = None
        self.retry_after: float | None = None
        self.permanent = False

    @classmethod
    @abstractmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> Channel:
        """Build the channel; raise :class:`ChannelConfigError` for a bad URL or missing secret."""

    @abstractmethod
    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        """Deliver one message; return True, or return :meth:`fail` (…)."""

    def send(self, title: str, body: str, *, mention_mobiles: Sequence[str] = ()) -> bool:
        """Deliver one alert. True when the service accepted it. Never raises (except on Ctrl-C)."""
        self.last_error = None
        self.retry_after = None
        self.permanent = False
        try:
            return self._send(title, body, tuple(dict.fromkeys(mention_mobiles)))
        except Exception as exc:  # a bug or an odd reply must not stop the sweep; the row stays
            return self.fail(f"发送时出现意外错误：{type(exc).__name__}: {exc}")

    def fail(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> bool:
        """Record a failure (masked) and return False, so ``return self.fail(...)`` reads well."""
        self.last_error = self.mask(message)
        self.retry_after = retry_after
        self.permanent = permanent
        return False

    def mask(self, text: str) -> str:
        return mask(text, self._secrets)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"
