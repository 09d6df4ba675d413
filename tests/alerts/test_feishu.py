from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from alerts import make_channel
from alerts.channels import feishu as feishu_module
from alerts.channels.dingtalk import dingtalk_sign
from alerts.channels.feishu import FeishuChannel, feishu_sign
from tests.alerts.helpers import FakeClock, sample_alert
from tests.alerts.mockservers import FeishuMock, Reply


def channel(service: FeishuMock, clock: FakeClock) -> FeishuChannel:
    ch = make_channel(
        "feishu://",
        {"token": service.token, "secret": service.secret},
        base_urls={"feishu": service.base_url},
        clock=clock,
    )
    assert isinstance(ch, FeishuChannel)
    return ch


def test_signed_card_delivery(feishu: FeishuMock, clock: FakeClock) -> None:
    ch = channel(feishu, clock)
    title, body = sample_alert()
    assert ch.send(title, body, mention_mobiles=["ou_abc123", "all", "13800000001"]) is True, ch.last_error
    sent = feishu.accepted[0].json()
    assert sent["timestamp"] == str(int(clock.now)) and sent["msg_type"] == "interactive"
    assert sent["card"]["header"]["title"]["content"] == title
    content = sent["card"]["elements"][0]["content"]
    assert content.startswith(body)
    assert "<at id=ou_abc123></at>" in content and "<at id=all></at>" in content
    assert "请关注：13800000001" in content  # custom bots cannot @ by mobile: shown as text


def test_legacy_status_code_reply_counts_as_success(clock: FakeClock) -> None:
    service = FeishuMock("tok-legacy", "s3cret", clock, legacy_reply=True)
    try:
        assert channel(service, clock).send("t", "b") is True
    finally:
        service.close()


def test_sign_is_the_key_not_the_message() -> None:
    key = b"1781656200\nmysecret"
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu_sign(1781656200, "mysecret") == expected
    assert feishu_sign(1781656200, "mysecret") != dingtalk_sign(1781656200, "mysecret")


def test_dingtalk_style_signature_gets_19021(
    feishu: FeishuMock, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feishu_module, "feishu_sign", dingtalk_sign)
    ch = channel(feishu, clock)
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None and "19021" in ch.last_error
    assert "签名校验失败" in ch.last_error and feishu.secret not in ch.last_error
    assert feishu.accepted == []


def test_frequency_limit_and_http_429(feishu: FeishuMock, clock: FakeClock) -> None:
    feishu.per_minute = 0
    ch = channel(feishu, clock)
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "11232" in ch.last_error and ch.retry_after == 60.0
    feishu.force(Reply(429, b"too many", {"Retry-After": "7"}))
    assert ch.send("t", "b") is False
    assert ch.retry_after == 7.0 and ch.last_error is not None and "429" in ch.last_error


def test_wrong_token_path(feishu: FeishuMock, clock: FakeClock) -> None:
    ch = make_channel(
        "feishu://not-the-token",
        {"secret": feishu.secret},
        base_urls={"feishu": feishu.base_url},
        clock=clock,
    )
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "19001" in ch.last_error and "not-the-token" not in ch.last_error
