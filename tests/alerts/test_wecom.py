from __future__ import annotations

import time

from alerts import describe, make_channel
from alerts.channels.wecom import WeComChannel
from tests.alerts.helpers import closed_port, sample_alert
from tests.alerts.mockservers import Reply, WeComMock


def channel(service: WeComMock, url: str = "wecom://", timeout: float = 10.0) -> WeComChannel:
    ch = make_channel(url, {"key": service.key}, timeout, base_urls={"wecom": service.base_url})
    assert isinstance(ch, WeComChannel)
    return ch


def test_markdown_delivery(wecom: WeComMock) -> None:
    ch = channel(wecom)
    title, body = sample_alert()
    assert ch.send(title, body) is True
    assert ch.last_error is None
    sent = wecom.accepted[0].json()
    assert sent["msgtype"] == "markdown"
    assert sent["markdown"]["content"].startswith(f"**{title}**\n")
    assert "距5小时权威发布时限还剩1小时12分" in sent["markdown"]["content"]


def test_mentions_switch_to_text_with_mobile_list(wecom: WeComMock) -> None:
    ch = channel(wecom, "wecom://?mentioned_mobile=13800000001,13800000002")
    title, body = sample_alert()
    assert ch.send(title, body, mention_mobiles=["13800000002", "13900000003", "all"])
    sent = wecom.accepted[0].json()
    assert sent["msgtype"] == "text"
    assert sent["text"]["mentioned_mobile_list"] == ["13800000001", "13800000002", "13900000003", "@all"]
    assert "**" not in sent["text"]["content"] and title in sent["text"]["content"]


def test_long_body_is_cut_to_the_service_limit(wecom: WeComMock) -> None:
    ch = channel(wecom)
    assert ch.send("【舆情预警·一般】长消息", "很长的正文。" * 2000)
    content = wecom.accepted[0].json()["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("请在系统中查看全文）")


def test_bad_key_is_a_permanent_failure(wecom: WeComMock) -> None:
    ch = make_channel("wecom://0000-wrong-key", base_urls={"wecom": wecom.base_url})
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "93000" in ch.last_error
    assert ch.permanent and ch.retry_after is None
    assert "0000-wrong-key" not in ch.last_error


def test_rate_limit_reply_sets_retry_after(wecom: WeComMock) -> None:
    wecom.limit = 2
    ch = channel(wecom)
    assert ch.send("1", "a") and ch.send("2", "b")
    assert ch.send("3", "c") is False
    assert ch.retry_after == 60.0 and not ch.permanent
    assert ch.last_error is not None and "45009" in ch.last_error
    assert ch.send("4", "d") is False and len(wecom.accepted) == 2


def test_http_500_and_non_json_are_transient_failures(wecom: WeComMock) -> None:
    ch = channel(wecom)
    wecom.force(Reply(500, b"<html>Internal Server Error</html>"))
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "HTTP 500" in ch.last_error and not ch.permanent
    wecom.force(Reply(200, b"<html>gateway</html>"))
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "不是 JSON" in ch.last_error
    wecom.force(Reply.of({"errmsg": "ok"}))  # HTTP 200 but no errcode: not a success
    assert ch.send("t", "b") is False
    assert ch.send("t", "b") is True and ch.last_error is None  # state is reset per send


def test_timeout(wecom: WeComMock) -> None:
    ch = channel(wecom, timeout=0.3)
    wecom.force(Reply(200, b'{"errcode":0,"errmsg":"ok"}', delay=1.5))
    started = time.monotonic()
    assert ch.send("t", "b") is False
    assert time.monotonic() - started < 1.4
    assert ch.last_error is not None and "超时" in ch.last_error


def test_network_error_message_is_masked() -> None:
    key = "6f1e2d3c-dead-beef-8ccc-0123456789ab"
    ch = make_channel("wecom://", {"key": key}, base_urls={"wecom": f"http://127.0.0.1:{closed_port()}"})
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "网络错误" in ch.last_error
    # requests quotes the URL (with ?key=…) in connection errors: the key must not survive.
    assert key not in ch.last_error and "***" in ch.last_error
    assert key not in repr(ch) and key not in describe(f"wecom://{key}")


def test_base_url_in_url_wins(wecom: WeComMock) -> None:
    ch = make_channel(
        f"wecom://?base_url={wecom.base_url}", {"key": wecom.key}, base_urls={"wecom": "http://0.0.0.0:9"}
    )
    assert ch.send("t", "b") is True
