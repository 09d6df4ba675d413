"""Bad input for the config loader (hypothesis): random TOML-ish text and mutated valid configurations
give either a Settings object or a ConfigError with one line naming the file, never another exception."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.reliability.guard import ROOT, time_limit
from tracker.config import load_settings
from tracker.errors import ConfigError
from tracker.settings_schema import Settings

CHECKED = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EXTRA = """
[[policy.rules]]
name = "重大舆情"
grades = ["I", "II"]
[[policy.rules.milestones]]
kind = "权威信息发布"
within = "5h"
[[policy.rules.milestones]]
kind = "新闻发布会"
within = "24小时"
basis = "detected"

[alerts.channels."值班群"]
url = "wecom://"
key_env = "YUQING_WECOM_KEY"

[retention]
post_text_days = 180
"""
VALID = (ROOT / "yuqing.example.toml").read_text(encoding="utf-8") + EXTRA
VALUES = [
    "5", "-1", "0", "1e999", "true", '""', '"x"', "[]", "{}", '[1, "a"]', "2026-11-23", "2026-11-23T10:00:00",
    '"sqlite:///"', '"postgresql+psycopg://"', '"file://"', '"wecom://KEY"', '"("', '"0h"', '"99999999wd"',
    '"AND"', '"5个工作日"', '"\\u0000"', "'''x'''", "inf", "nan", '"IV"', '"Ⅴ"',
]  # fmt: skip
TOKENS = [
    "[", "]", "[[", "]]", "=", '"', "'", ".", ",", "\n", " ", "#", "{", "}", "database", "url", "sources",
    "name", "kind", "feed", "interval", "topics", "query", "units", "parent", "policy", "rules", "milestones",
    "within", "alerts", "channels", "routes", "web", "port", "crawl", "retention", "post_text_days", "privacy",
    "author_salt_file", "incidents", "max_hamming", *VALUES,
]  # fmt: skip


def check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        result = load_settings(path, env={})
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        assert str(path) in message, message  # the user is told which file
        return
    assert isinstance(result, Settings)


def mutate(lines: list[str], data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 3))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "duplicate", "value", "truncate", "insert", "swap"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {data.draw(st.sampled_from(VALUES))}"
        elif op == "truncate":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        elif op == "insert":
            lines.insert(i, data.draw(st.text(max_size=20)))
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def test_the_valid_configuration_loads(tmp_path: Path) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_text(VALID, encoding="utf-8")
    loaded = load_settings(path, env={})
    assert loaded.policy.rules[0].milestones[1].within == "24小时"


@CHECKED
@given(data=st.data())
def test_mutated_valid_configurations(tmp_path: Path, data: st.DataObject) -> None:
    text = mutate(VALID.splitlines(), data)
    with time_limit(10):
        check(tmp_path / "yuqing.toml", text.encode("utf-8"))


@CHECKED
@given(parts=st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=40))
def test_toml_ish_text(tmp_path: Path, parts: list[str]) -> None:
    with time_limit(10):
        check(tmp_path / "yuqing.toml", "".join(parts).encode("utf-8"))


@CHECKED
@example(data="[database]\n# 数据库\n".encode("gbk"))  # Notepad's "ANSI": raised UnicodeDecodeError before
@example(data=b"a = " + b"[" * 5000 + b"]" * 5000)  # raised RecursionError (from tomllib) before
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    with time_limit(10):
        check(tmp_path / "yuqing.toml", data)


def test_a_gbk_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_bytes("[database]\n# 数据库\n".encode("gbk"))
    with pytest.raises(ConfigError, match="不是 UTF-8 编码"):
        load_settings(path, env={})


def test_a_value_with_a_line_break_still_gives_a_one_line_error(tmp_path: Path) -> None:
    """A quoted value used to carry its line break into a two-line message."""
    text = VALID.replace('within = "5h"', 'within = "5\\nx"')  # TOML escape: the value holds a line break
    assert text != VALID
    check(tmp_path / "yuqing.toml", text.encode("utf-8"))
