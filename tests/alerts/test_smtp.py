from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts import ChannelConfigError, make_channel
from tests.alerts.helpers import FakeClock, closed_port, sample_alert
from tests.alerts.smtpsink import SinkConfig, SmtpSink

PASSWORD = "AuthCode-abc123"
USER = "yuqing@example.gov.cn"


@pytest.fixture
def sink(server_tls: ssl.SSLContext, request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    mode = getattr(request, "param", "starttls")
    server = SmtpSink(SinkConfig(mode=mode, context=server_tls, user=USER, password=PASSWORD))
    yield server
    server.close()


def smtp_url(sink: SmtpSink, tls: str, cafile: Path | None, extra: str = "") -> str:
    ca = f"&cafile={cafile}" if cafile else ""
    return (
        f"smtp://yuqing%40example.gov.cn@127.0.0.1:{sink.port}?tls={tls}{ca}&helo=test.local"
        f"&to=值班员 <duty@example.gov.cn>,leader@example.gov.cn&from_name=舆情值班{extra}"
    )


def test_starttls_login_and_chinese_headers(
    sink: SmtpSink, tls_files: tuple[Path, Path], clock: FakeClock
) -> None:
    ch = make_channel(smtp_url(sink, "starttls", tls_files[0]), {"password": PASSWORD}, clock=clock)
    title, body = sample_alert()
    assert ch.send(title, body) is True, ch.last_error
    assert sink.cfg.auth_ok == [USER]
    got = sink.cfg.messages[0]
    assert got.mail_from == USER and got.rcpt_to == ["duty@example.gov.cn", "leader@example.gov.cn"]
    head = got.data.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # UTF-8 only inside RFC 2047 encoded words
    assert b"=?utf-8?" in head
    msg = email.message_from_bytes(got.data, policy=email.policy.default)
    assert msg["Subject"] == title
    assert msg["From"].addresses[0].display_name == "舆情值班"
    assert msg["To"].addresses[0].display_name == "值班员"
    part = msg.get_body()
    assert part is not None
    text = part.get_content()
    assert "距5小时权威发布时限还剩1小时12分" in text and "**" not in text
    assert "Wed, 17 Jun 2026 00:30:00" in msg["Date"]


@pytest.mark.parametrize("sink", ["ssl"], indirect=True)
def test_implicit_tls(sink: SmtpSink, tls_files: tuple[Path, Path], clock: FakeClock) -> None:
    ch = make_channel(smtp_url(sink, "ssl", tls_files[0]), {"password": PASSWORD}, clock=clock)
    assert ch.send("【舆情预警·测试】", "正文") is True, ch.last_error
    assert len(sink.cfg.messages) == 1


@pytest.mark.parametrize("sink", ["ssl"], indirect=True)
def test_untrusted_certificate_is_permanent(sink: SmtpSink, clock: FakeClock) -> None:
    ch = make_channel(smtp_url(sink, "ssl", None), {"password": PASSWORD}, clock=clock)
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None and "cafile" in ch.last_error
    assert sink.cfg.messages == []


def test_wrong_password_is_permanent_and_masked(sink: SmtpSink, tls_files: tuple[Path, Path]) -> None:
    ch = make_channel(smtp_url(sink, "starttls", tls_files[0]), {"password": "wrong-pass-XYZ"})
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None and "登录被拒绝" in ch.last_error
    assert "wrong-pass-XYZ" not in ch.last_error and "wrong-pass-XYZ" not in repr(ch)


def test_partly_refused_recipients_count_as_sent(sink: SmtpSink, tls_files: tuple[Path, Path]) -> None:
    sink.cfg.refuse.add("leader@example.gov.cn")
    ch = make_channel(smtp_url(sink, "starttls", tls_files[0]), {"password": PASSWORD})
    assert ch.send("t", "b") is True
    assert ch.last_error is not None and "leader@example.gov.cn" in ch.last_error
    assert sink.cfg.messages[0].rcpt_to == ["duty@example.gov.cn"]
    sink.cfg.refuse.add("duty@example.gov.cn")
    assert ch.send("t", "b") is False and ch.permanent


def test_plain_relay_without_auth(clock: FakeClock) -> None:
    relay = SmtpSink(SinkConfig(mode="none"))
    try:
        ch = make_channel(
            f"smtp://127.0.0.1:{relay.port}?tls=none&helo=t&from=yuqing@example.gov.cn&to=a@example.gov.cn",
            clock=clock,
        )
        assert ch.send("标题", "正文") is True, ch.last_error
        assert relay.cfg.messages[0].mail_from == "yuqing@example.gov.cn"
    finally:
        relay.close()


def test_starttls_missing_on_server_is_reported() -> None:
    relay = SmtpSink(SinkConfig(mode="none"))
    try:
        ch = make_channel(f"smtp://127.0.0.1:{relay.port}?helo=t&from=a@example.gov.cn&to=b@example.gov.cn")
        assert ch.send("t", "b") is False
        assert ch.permanent and ch.last_error is not None and "STARTTLS" in ch.last_error
    finally:
        relay.close()


def test_connection_refused_is_transient() -> None:
    ch = make_channel(
        f"smtp://127.0.0.1:{closed_port()}?tls=none&helo=t&from=a@example.gov.cn&to=b@example.gov.cn"
    )
    assert ch.send("t", "b") is False
    assert not ch.permanent and ch.last_error is not None and "邮件发送失败" in ch.last_error


def test_config_errors() -> None:
    with pytest.raises(ChannelConfigError, match="password_env"):
        make_channel("smtp://user%40x.cn@smtp.x.cn:465?tls=ssl&to=a@x.cn")
    with pytest.raises(ChannelConfigError, match="tls"):
        make_channel("smtp://smtp.x.cn?tls=maybe&to=a@x.cn&from=b@x.cn")
    with pytest.raises(ChannelConfigError, match="to="):
        make_channel("smtp://smtp.x.cn?tls=none&from=b@x.cn")
    with pytest.raises(ChannelConfigError, match="非 ASCII"):
        make_channel("smtp://u%40x.cn@smtp.x.cn?to=a@x.cn", {"password": "授权码"})
    with pytest.raises(ChannelConfigError, match="不一致"):
        make_channel("smtp://u%40x.cn:inurl@smtp.x.cn?to=a@x.cn", {"password": "other"})
