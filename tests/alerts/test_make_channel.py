from __future__ import annotations

import pytest

from alerts import (
    SCHEMES,
    ChannelConfigError,
    describe,
    env_keys,
    make_channel,
    make_channel_from_config,
    mask,
)
from alerts.channels.base import Channel


class Boom(Channel):
    kind = "boom"
    display_name = "测试"

    @classmethod
    def from_url(cls, url, options):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        raise RuntimeError("bug with secret SUPERSECRET inside")


def test_every_scheme_is_registered() -> None:
    assert set(SCHEMES) == {"wecom", "dingtalk", "feishu", "smtp", "webhook", "webhooks", "file", "console"}
    assert {cls.kind for cls in SCHEMES.values()} == {
        "wecom",
        "dingtalk",
        "feishu",
        "smtp",
        "webhook",
        "file",
        "console",
    }


def test_send_never_raises_and_masks() -> None:
    from alerts.channels.base import ChannelOptions

    ch = Boom("boom://x", ["SUPERSECRET"], ChannelOptions())
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "RuntimeError" in ch.last_error
    assert "SUPERSECRET" not in ch.last_error and "***" in ch.last_error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("slack://x", "不支持的预警渠道"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1234567", "wecom://"),
        ("https://oapi.dingtalk.com/robot/send?access_token=T", "dingtalk://"),
        ("https://example.org/hook", "webhooks://"),
        ("wecom://K?secert=1", "未知参数“secert”"),
        ("wecom://K?mentioned_mobile=1&mentioned_mobile=2", "重复"),
        ("wecom://", "缺少机器人 key"),
        ("dingtalk://?secret=S", "access_token"),
        ("feishu://", "token"),
        ("wecom://K?base_url=ftp://x", "base_url"),
        ("webhook://user:pw@host/p?secret=s", "用户名密码"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ChannelConfigError, match=message) as info:
        make_channel(url)
    assert "K1234567" not in str(info.value)


def test_unknown_secret_name_and_conflicts() -> None:
    with pytest.raises(ChannelConfigError, match="不使用密钥“secret”"):
        make_channel("wecom://", {"key": "k", "secret": "s"})
    with pytest.raises(ChannelConfigError, match="不一致") as info:
        make_channel("wecom://inurl", {"key": "fromenv"})
    assert "inurl" not in str(info.value) and "fromenv" not in str(info.value)
    assert make_channel("wecom://same", {"key": "same"}).kind == "wecom"


def test_env_keys() -> None:
    assert env_keys("wecom://") == ("key_env",)
    assert env_keys("dingtalk://") == ("token_env", "secret_env")
    assert env_keys("smtp://h?to=a@b.c") == ("password_env",)
    assert env_keys("console://") == ()


def test_from_config_resolves_env_vars() -> None:
    env = {"YUQING_DT_TOKEN": "tok123456", "YUQING_DT_SECRET": "SECabcdef"}
    table = {
        "url": "dingtalk://",
        "token_env": "YUQING_DT_TOKEN",
        "secret_env": "YUQING_DT_SECRET",
        "timeout": 3,
    }
    ch = make_channel_from_config("duty", table, env)
    assert ch.kind == "dingtalk" and ch.timeout == 3.0
    assert "tok123456" not in repr(ch) and "SECabcdef" not in repr(ch)


def test_from_config_errors_name_the_key() -> None:
    with pytest.raises(
        ChannelConfigError, match=r"alerts\.channels\.duty\.key_env：环境变量 YUQING_WECOM_KEY 未设置"
    ):
        make_channel_from_config("duty", {"url": "wecom://", "key_env": "YUQING_WECOM_KEY"}, {})
    with pytest.raises(ChannelConfigError, match="未知配置项“secret_env”"):
        make_channel_from_config("duty", {"url": "wecom://", "secret_env": "X"}, {"X": "y"})
    with pytest.raises(ChannelConfigError, match="缺少必填项 url"):
        make_channel_from_config("duty", {}, {})
    with pytest.raises(ChannelConfigError, match=r"alerts\.channels\.duty：.*缺少机器人 key"):
        make_channel_from_config("duty", {"url": "wecom://"}, {})
    with pytest.raises(ChannelConfigError, match="超时"):
        make_channel("console://", timeout=0)


def test_mask_covers_encoded_forms() -> None:
    secret = "a+b/c=d"
    text = "url ?sign=a%2Bb%2Fc%3Dd and form a%2Bb%2Fc%3Dd raw a+b/c=d"
    masked = mask(text, [secret, None, ""])
    assert "a+b/c=d" not in masked and "a%2Bb%2Fc%3Dd" not in masked
    assert masked.count("***") == 3


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("wecom://0a1b2c3d?mentioned_mobile=13800000001", "wecom://***?mentioned_mobile=13800000001"),
        ("dingtalk://TOKEN42?secret=SEC42", "dingtalk://***?secret=***"),
        ("feishu://T?secret=S", "feishu://***?secret=***"),
        ("smtp://u%40x.cn:pw99@smtp.x.cn:465?tls=ssl", "smtp://u%40x.cn:***@smtp.x.cn:465?tls=ssl"),
        ("webhooks://h.example/p?secret=zz", "webhooks://h.example/p?secret=***"),
        ("wecom://", "wecom://"),
        ("console://", "console://"),
        ("file:///var/lib/yuqing/alerts.jsonl", "file:///var/lib/yuqing/alerts.jsonl"),
    ],
)
def test_describe(url: str, shown: str) -> None:
    assert describe(url) == shown


def test_describe_masks_given_secrets_anywhere() -> None:
    assert describe("webhooks://h/p/LEAKY-PATH-SECRET", ["LEAKY-PATH-SECRET"]) == "webhooks://h/p/***"
