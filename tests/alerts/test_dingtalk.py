from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

import requests

from alerts import make_channel
from alerts.channels.dingtalk import DingTalkChannel, dingtalk_sign
from tests.alerts.helpers import FakeClock, sample_alert
from tests.alerts.mockservers import DingTalkMock


def channel(service: DingTalkMock, clock: FakeClock, secret: str | None = None) -> DingTalkChannel:
    ch = make_channel(
        "dingtalk://?mentioned_mobile=13800000001",
        {"token": service.token, "secret": secret or service.secret},
        base_urls={"dingtalk": service.base_url},
        clock=clock,
    )
    assert isinstance(ch, DingTalkChannel)
    return ch


def test_signed_markdown_delivery_with_at(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    # Pick a millisecond whose signature has "+" and "/": only a correctly URL-encoded sign survives.
    while not {"+", "/"} <= set(dingtalk.expected_sign(str(int(clock.now * 1000)))):
        clock.advance(0.001)
    ch = channel(dingtalk, clock)
    title, body = sample_alert()
    assert ch.send(title, body, mention_mobiles=["13900000002"]) is True, ch.last_error
    req = dingtalk.accepted[0]
    assert req.query["timestamp"] == [str(int(clock.now * 1000))]
    sent = req.json()
    assert sent["msgtype"] == "markdown" and sent["markdown"]["title"] == title
    text = sent["markdown"]["text"]
    assert text.startswith(f"#### {title}  \n") and "@13800000001 @13900000002" in text
    assert sent["at"] == {"atMobiles": ["13800000001", "13900000002"], "isAtAll": False}


def test_sign_matches_an_independent_computation() -> None:
    secret = "SEC0123456789abcdef"
    mac = hmac.new(secret.encode(), f"1781656200000\n{secret}".encode(), hashlib.sha256)
    assert dingtalk_sign(1781656200000, secret) == base64.b64encode(mac.digest()).decode()


def test_the_mock_rejects_a_sign_that_is_not_url_encoded(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    # A timestamp whose signature contains "+": without URL encoding it arrives as a space.
    start = int(clock.now * 1000)
    ts = next(t for t in range(start, start + 1000) if "+" in dingtalk.expected_sign(str(t)))
    sign = dingtalk.expected_sign(str(ts))
    payload = {"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}}
    base = f"{dingtalk.base_url}/robot/send?access_token={dingtalk.token}&timestamp={ts}&sign="
    raw = requests.post(base + sign, json=payload, timeout=5).json()
    assert raw["errcode"] == 310000 and "sign not match" in raw["errmsg"]
    encoded = requests.post(base + quote_plus(sign), json=payload, timeout=5).json()
    assert encoded == {"errcode": 0, "errmsg": "ok"}


def test_wrong_secret_is_permanent_with_a_chinese_hint(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch = channel(dingtalk, clock, secret="SECwrongwrongwrong")
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None
    assert "310000" in ch.last_error and "加签校验失败" in ch.last_error
    assert "SECwrongwrongwrong" not in ch.last_error and dingtalk.token not in ch.last_error


def test_clock_more_than_an_hour_off_is_reported(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch = make_channel(
        "dingtalk://",
        {"token": dingtalk.token, "secret": dingtalk.secret},
        base_urls={"dingtalk": dingtalk.base_url},
        clock=lambda: clock.now - 2 * 3600,
    )
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "相差超过1小时" in ch.last_error and ch.permanent


def test_too_fast_means_a_ten_minute_wait(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    dingtalk.limit = 1
    ch = channel(dingtalk, clock)
    assert ch.send("1", "a") is True
    assert ch.send("2", "b") is False
    assert ch.retry_after == 600.0 and not ch.permanent
    assert ch.last_error is not None and "限流10分钟" in ch.last_error


def test_unknown_token(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch = make_channel(
        "dingtalk://nosuchtoken?secret="
        + dingtalk.secret.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"),
        base_urls={"dingtalk": dingtalk.base_url},
        clock=clock,
    )
    assert ch.send("t", "b") is False
    assert ch.permanent and ch.last_error is not None and "access_token 无效" in ch.last_error
    assert "nosuchtoken" not in ch.last_error
