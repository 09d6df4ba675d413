"""Commitment suggestions from realistic response texts (情况说明、通报、留言答复)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tracker.commitment_text import CommitmentSuggestion, extract_commitments
from tracker.deadlines import BEIJING
from tracker.workcal import WorkCalendar

CAL = WorkCalendar()


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def summary(found: list[CommitmentSuggestion]) -> list[tuple[str, str | None, bool, bool]]:
    return [
        (s.phrase, s.due.astimezone(BEIJING).isoformat() if s.due else None, s.provisional, s.periodic)
        for s in found
    ]


SITUATION = """关于网民反映某小区积水问题的情况说明
3月8日，有网民在市长信箱反映某小区雨后积水严重。我局高度重视，已于3月9日组织人员现场核查。
经查，积水系排水管网堵塞所致，目前已完成临时疏通。下一步，将于4月15日前完成管网改造，并在10个工作日内将处理结果答复反映人。
区住建局将持续推进老旧小区排水设施改造，力争年底前全部完成。相关整改情况将于月底前向社会公布。
"""


def test_situation_report() -> None:
    found = extract_commitments(SITUATION, bj("2026-03-10T15:00"), CAL)
    assert summary(found) == [
        ("4月15日前", "2026-04-16T00:00:00+08:00", False, False),
        # Tue 3/10 + 10 working days: 3/11 … 3/24 (two weekends skipped).
        ("10个工作日内", "2026-03-25T00:00:00+08:00", False, False),
        ("年底前", "2027-01-01T00:00:00+08:00", False, False),
        ("月底前", "2026-04-01T00:00:00+08:00", False, False),
    ]
    assert (
        found[0].content
        == found[1].content
        == ("下一步，将于4月15日前完成管网改造，并在10个工作日内将处理结果答复反映人")
    )
    assert found[2].content == "区住建局将持续推进老旧小区排水设施改造，力争年底前全部完成"
    assert all(s.due is not None and s.due.tzinfo is UTC for s in found)


BULLETIN = (
    "经调查核实，现将有关情况通报如下：8月30日18时许，某中学部分学生出现腹泻症状，目前均已康复。"
    "市场监管部门已责令学校食堂停业整顿，并在24小时内完成了留样检测。"
    "下一步，责令涉事食堂承包企业30日内完成整改；市教育局将会同相关部门开展校园食品安全专项检查，"
    "于10月底前完成全覆盖排查。调查处理结果将及时向社会公布。"
)


def test_bulletin_across_national_day() -> None:
    found = extract_commitments(BULLETIN, bj("2026-09-01T10:00"), CAL)
    assert summary(found) == [
        # 9/1 + 30 days → 10/1 (国庆) → the period ends on 10/8.
        ("30日内", "2026-10-09T00:00:00+08:00", False, False),
        ("10月底前", "2026-11-01T00:00:00+08:00", False, False),
        ("及时向社会公布", None, False, True),
    ]
    assert found[0].content == "下一步，责令涉事食堂承包企业30日内完成整改"


def test_message_board_reply_across_spring_festival() -> None:
    reply = "您好！您反映的问题已收悉。我单位将在10个工作日内核实并答复，感谢您的监督。"
    found = extract_commitments(reply, bj("2026-02-12T10:00"), CAL)
    # 2/13, Sat 2/14 (调休), 2/24–2/27, Sat 2/28 (调休), 3/2, 3/3, 3/4.
    assert summary(found) == [("10个工作日内", "2026-03-05T00:00:00+08:00", False, False)]
    assert found[0].content == "我单位将在10个工作日内核实并答复，感谢您的监督"


def test_dates_without_a_year_roll_forward_once() -> None:
    text = "将于3月15日前完成整改。计划10月底前完成验收。明年6月底前全部完工。2026年10月底前完成一期工程。"
    found = extract_commitments(text, bj("2026-11-20T09:00"), CAL)
    assert summary(found) == [
        ("3月15日前", "2027-03-16T00:00:00+08:00", False, False),
        ("10月底前", "2027-11-01T00:00:00+08:00", False, False),
        ("明年6月底前", "2027-07-01T00:00:00+08:00", False, False),
    ]  # a stated year that is already past is a report, not a promise


def test_period_into_2027_is_provisional() -> None:
    text = "我们将在10个工作日内答复。整改结果一个月内公开。2026年12月31日前完成排查。"
    found = extract_commitments(text, bj("2026-12-20T10:00"), CAL)
    assert summary(found) == [
        # Sun 12/20: 12/21–12/25, 12/28–12/31, then 2027-01-04 on the fallback calendar.
        ("10个工作日内", "2027-01-05T00:00:00+08:00", True, False),
        ("一个月内", "2027-01-21T00:00:00+08:00", True, False),
        ("2026年12月31日前", "2027-01-01T00:00:00+08:00", False, False),
    ]


def test_overrides_reach_commitments() -> None:
    cal = WorkCalendar({datetime(2026, 3, 24).date(): False})  # a local rest day
    found = extract_commitments("将在10个工作日内答复。", bj("2026-03-10T15:00"), cal)
    assert summary(found) == [("10个工作日内", "2026-03-26T00:00:00+08:00", False, False)]


@pytest.mark.parametrize(
    "text",
    [
        "3月8日，有网民在市长信箱反映某小区积水。",
        "我局已于3月9日组织人员现场核查。",
        "相关材料3月5日前已上报。",
        "新规定自3月15日起施行。",
        "上月底，区里召开专题会。",
        "3月12日前后出现大面积积水。",
        "市场监管部门已在24小时内完成留样检测。",
        "经调查核实，现将有关情况通报如下：3月9日18时许，某中学部分学生出现腹泻症状。",
        "该小区已常态化开展巡查。",
        "去年年底，有关部门开展了排查。",
    ],
)
def test_narrative_dates_are_not_commitments(text: str) -> None:
    assert extract_commitments(text, bj("2026-03-10T15:00"), CAL) == []


def test_periodic_promise_without_date() -> None:
    found = extract_commitments("我们将持续跟进，定期通报进展。", bj("2026-03-10T15:00"), CAL)
    assert found == [
        CommitmentSuggestion(
            content="我们将持续跟进，定期通报进展",
            phrase="持续跟进",
            due=None,
            provisional=False,
            periodic=True,
        )
    ]


@pytest.mark.parametrize(
    ("text", "phrase", "due"),
    [
        ("本周内完成排查", "本周内", "2026-03-16T00:00:00+08:00"),  # Tue 3/10 → Sunday 3/15
        ("下周内公布结果", "下周内", "2026-03-23T00:00:00+08:00"),
        ("力争三季度末前完成验收", "三季度末前", "2026-10-01T00:00:00+08:00"),
        ("预计上半年建成投用", "上半年", "2026-07-01T00:00:00+08:00"),
        ("十月底前完成", "十月底前", "2026-11-01T00:00:00+08:00"),
        ("三十日内整改到位", "三十日内", "2026-04-10T00:00:00+08:00"),
        ("两周内反馈", "两周内", "2026-03-25T00:00:00+08:00"),
        ("限期5个工作日整改", "限期5个工作日", "2026-03-18T00:00:00+08:00"),
        ("将于20日前完成", "20日前", "2026-03-21T00:00:00+08:00"),
        ("今年内完成改造", "今年内", "2027-01-01T00:00:00+08:00"),
        ("年内完成改造", "年内", "2027-01-01T00:00:00+08:00"),
        ("24小时内反馈", "24小时内", "2026-03-11T15:00:00+08:00"),
        ("下个月底前完成", "下个月底前", "2026-05-01T00:00:00+08:00"),
        ("力争2027年内完成", "2027年内", "2028-01-01T00:00:00+08:00"),
        ("第四季度完成全部改造", "第四季度", "2027-01-01T00:00:00+08:00"),
        ("确保下半年投入使用", "下半年", "2027-01-01T00:00:00+08:00"),
        ("半年内完成", "半年内", "2026-09-11T00:00:00+08:00"),
    ],
)
def test_time_expressions(text: str, phrase: str, due: str) -> None:
    found = extract_commitments(text, bj("2026-03-10T15:00"), CAL)
    assert summary(found) == [(phrase, due, False, False)]


def test_a_year_is_twelve_months_and_lands_past_the_data() -> None:
    found = extract_commitments("一年内完成", bj("2026-03-10T15:00"), CAL)
    assert summary(found) == [("一年内", "2027-03-11T00:00:00+08:00", True, False)]


def test_day_of_month_already_past_means_next_month() -> None:
    found = extract_commitments("将于20日前完成", bj("2026-03-25T15:00"), CAL)
    assert summary(found) == [("20日前", "2026-04-21T00:00:00+08:00", False, False)]


def test_office_close_applies_to_fixed_dates_and_periods() -> None:
    found = extract_commitments(
        "将于4月15日前完成，并在10个工作日内答复。", bj("2026-03-10T15:00"), CAL, office_close=time(17, 30)
    )
    assert summary(found) == [
        ("4月15日前", "2026-04-15T17:30:00+08:00", False, False),
        ("10个工作日内", "2026-03-24T17:30:00+08:00", False, False),
    ]


def test_naive_published_at_is_refused() -> None:
    with pytest.raises(ValueError, match="时区"):
        extract_commitments("将于4月15日前完成", datetime(2026, 3, 10, 15, 0), CAL)


def test_empty_text() -> None:
    assert extract_commitments("", bj("2026-03-10T15:00"), CAL) == []
