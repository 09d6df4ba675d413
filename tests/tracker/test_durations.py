"""Durations: every accepted form, Chinese numerals and the Chinese error for bad specs."""

from __future__ import annotations

import pytest

from tracker.durations import Duration, DurationError, parse_cn_number, parse_within


@pytest.mark.parametrize(
    ("spec", "kind", "amount", "label"),
    [
        ("90m", "minutes", 90, "90分钟"),
        ("5h", "hours", 5, "5小时"),
        ("48h", "hours", 48, "48小时"),
        ("3d", "days", 3, "3天"),
        ("5wd", "workdays", 5, "5个工作日"),
        ("90分钟", "minutes", 90, "90分钟"),
        ("5小时", "hours", 5, "5小时"),
        ("5个小时", "hours", 5, "5小时"),
        ("3天", "days", 3, "3天"),
        ("3日", "days", 3, "3天"),
        ("3个自然日", "days", 3, "3天"),
        ("5个工作日", "workdays", 5, "5个工作日"),
        ("5工作日", "workdays", 5, "5个工作日"),
        ("1wd", "workdays", 1, "1个工作日"),
    ],
)
def test_accepted_forms(spec: str, kind: str, amount: int, label: str) -> None:
    duration = parse_within(spec)
    assert (duration.kind, duration.amount, duration.spec) == (kind, amount, spec)
    assert duration.label == label


@pytest.mark.parametrize(
    ("spec", "kind", "amount"),
    [
        (" 5 h ", "hours", 5),  # spaces copied from a document
        ("５ｈ", "hours", 5),  # full-width input method
        ("5H", "hours", 5),
        ("五个工作日", "workdays", 5),
        ("三十天", "days", 30),
        ("两小时", "hours", 2),
        ("10个工作日内", "workdays", 10),  # copied straight from the policy text
        ("48小时以内", "hours", 48),
    ],
)
def test_lenient_input(spec: str, kind: str, amount: int) -> None:
    duration = parse_within(spec)
    assert (duration.kind, duration.amount) == (kind, amount)
    assert duration.spec == spec.strip()


@pytest.mark.parametrize("spec", ["", "5", "h", "5x", "5 weeks", "5.5h", "-5h", "5hh", "个工作日", "3月"])
def test_bad_specs_get_chinese_error_listing_forms(spec: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_within(spec)
    assert isinstance(info.value, ValueError)
    assert "5个工作日" in str(info.value) and "5wd" in str(info.value)


def test_zero_and_absurd_amounts_are_refused() -> None:
    with pytest.raises(DurationError, match="大于零"):
        parse_within("0h")
    with pytest.raises(DurationError, match="过长"):
        parse_within("9999wd")


def test_non_string_is_refused() -> None:
    with pytest.raises(DurationError):
        parse_within(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("三十", 30),
        ("二十五", 25),
        ("一百二十", 120),
    ],
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert parse_cn_number(text) == value


@pytest.mark.parametrize("text", ["", "五a", "abc", "5"])
def test_not_chinese_numbers(text: str) -> None:
    assert parse_cn_number(text) is None


def test_duration_is_a_value() -> None:
    assert parse_within("5h") == Duration(kind="hours", amount=5, spec="5h")
