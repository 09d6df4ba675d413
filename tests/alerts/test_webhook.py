from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from alerts import ChannelConfigError, make_channel
from alerts.channels.webhook import webhook_signature
from tests.alerts.helpers import FakeClock
from tests.alerts.mockservers import Reply, WebhookMock


def url(service: WebhookMock, extra: str = "") -> str:
    return f"webhook://127.0.0.1:{service.port}/hooks/yuqing{extra}"


def test_signed_json_post(receiver: WebhookMock, clock: FakeClock) -> None:
    ch = make_channel(url(receiver), {"secret": "hook-shared-secret"}, clock=clock)
    assert ch.send("【舆情预警·重大】标题", "正文", mention_mobiles=["13800000001"]) is True, ch.last_error
    req = receiver.accepted[0]
    assert req.path == "/hooks/yuqing"
    assert req.json() == {
        "title": "【舆情预警·重大】标题",
        "body": "正文",
        "sent_at": "2026-06-17T00:30:00Z",
        "mention_mobiles": ["13800000001"],
    }
    assert req.headers["X-Yuqing-Signature"] == webhook_signature(
        "hook-shared-secret", int(clock.now), req.body
    )


def test_wrong_secret_is_rejected_by_the_receiver(receiver: WebhookMock, clock: FakeClock) -> None:
    ch = make_channel(url(receiver, "?secret=not-the-secret"), clock=clock)
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None and "HTTP 401" in ch.last_error
    assert "not-the-secret" not in ch.last_error and "not-the-secret" not in repr(ch)


def test_error_code_in_a_200_reply(receiver: WebhookMock, clock: FakeClock) -> None:
    ch = make_channel(url(receiver), {"secret": "hook-shared-secret"}, clock=clock)
    receiver.force(Reply.of({"errcode": 5, "errmsg": "系统繁忙"}))
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "5" in ch.last_error and "系统繁忙" in ch.last_error
    receiver.force(Reply.of({"code": 0, "msg": "ok"}))
    assert ch.send("t", "b") is True


def test_redirect_is_not_followed(receiver: WebhookMock, clock: FakeClock) -> None:
    ch = make_channel(url(receiver), {"secret": "hook-shared-secret"}, clock=clock)
    receiver.force(Reply(302, b"", {"Location": "http://198.51.100.1/steal"}))
    assert ch.send("t", "b") is False
    assert ch.permanent and len(receiver.requests) == 1


def test_unsigned_needs_an_explicit_flag(receiver: WebhookMock, clock: FakeClock) -> None:
    with pytest.raises(ChannelConfigError, match="unsigned=1"):
        make_channel(url(receiver))
    receiver.secret = None
    assert make_channel(url(receiver, "?unsigned=1"), clock=clock).send("t", "b") is True
    assert "X-Yuqing-Signature" not in receiver.accepted[0].headers


def test_webhooks_scheme_uses_https_with_a_private_ca(
    clock: FakeClock, server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    service = WebhookMock("s", clock, tls=server_tls)
    try:
        good = make_channel(
            f"webhooks://127.0.0.1:{service.port}/h?cafile={tls_files[0]}", {"secret": "s"}, clock=clock
        )
        assert good.send("t", "b") is True, good.last_error
        untrusted = make_channel(f"webhooks://127.0.0.1:{service.port}/h", {"secret": "s"}, clock=clock)
        assert untrusted.send("t", "b") is False
        assert untrusted.last_error is not None and "SSL" in untrusted.last_error
        assert len(service.accepted) == 1
    finally:
        service.close()
