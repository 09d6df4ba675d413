from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alerts.messages import (
    format_alert,
    format_commitment,
    format_notice,
    format_source_failure,
    format_test,
    humanize_delta,
    markdown_to_text,
    md_escape,
    truncate_utf8,
)


def test_humanize_delta() -> None:
    assert humanize_delta(4320) == "1小时12分"
    assert humanize_delta(4379) == "1小时12分"  # rounded down: never overstate the time left
    assert humanize_delta(-7500) == "已超时2小时5分"
    assert humanize_delta(3600) == "1小时"
    assert humanize_delta(45 * 60) == "45分钟"
    assert humanize_delta(30) == "不足1分钟"
    assert humanize_delta(-30) == "已超时不足1分钟"
    assert humanize_delta(2 * 86400 + 7 * 3600 + 59) == "2天7小时"
    assert humanize_delta(3 * 86400) == "3天"


def test_format_alert_new_incident() -> None:
    title, body = format_alert(
        "new_incident", "重大", "某小学食堂疑似食物中毒", "食品药品安全", "2026-06-17 08:30",
        "5小时权威发布时限", "2026-06-17 13:30", 4320, "区市场监管局", "https://yq.example/i/12",
    )  # fmt: skip
    assert title == "【舆情预警·重大】某小学食堂疑似食物中毒"
    assert body.splitlines() == [
        "**事件**：某小学食堂疑似食物中毒",
        "**分类**：食品药品安全",
        "**首发时间**：2026-06-17 08:30",
        "**下一时限**：5小时权威发布时限（截止 2026-06-17 13:30）",
        "> 距5小时权威发布时限还剩1小时12分",
        "**责任单位**：区市场监管局",
        "[查看详情并登记回应](https://yq.example/i/12)",
    ]


def test_format_alert_breach_and_missing_fields() -> None:
    title, body = format_alert("breach", None, "积水", None, None, "48小时回应时限", None, -7500, None, None)
    assert title == "【舆情预警】已超时：积水"
    assert "> 48小时回应时限已超时2小时5分" in body and "**类型**：已超时" in body
    assert "分类" not in body and "责任单位" not in body and "](" not in body


def test_outside_text_cannot_inject_markup() -> None:
    title, body = format_alert(
        "new_incident", "较大", "标题<at id=all></at>[点我](http://evil)\n# 伪造", None, None, None, None, None, None,
        "https://yq.example/i/1 (x)",
    )  # fmt: skip
    for text in (title, body):
        assert "<at" not in text and "[点我]" not in text and "\n#" not in text
    assert body.endswith("(https://yq.example/i/1%20%28x%29)")


def test_other_formats() -> None:
    title, body = format_commitment(
        "commitment_overdue", "30日内完成整改", "积水", "区住建局", "2026-07-17", -86400, None
    )
    assert title == "【承诺逾期】30日内完成整改" and "> 承诺时限已超时1天" in body
    title, body = format_source_failure("市长信箱", "LayoutChanged: 列表为空", 3, None, "https://yq/s/2")
    assert title == "【采集异常】市长信箱连续失败3次" and "**上次成功**：从未成功" in body
    title, body = format_notice("daily_brief", "6月17日舆情简报", ["新增事件5起", "超时1起"])
    assert title == "【每日简报】6月17日舆情简报" and body == "- 新增事件5起\n- 超时1起"
    title, body = format_test("重大-值班群", "wecom://***", "2026-06-17 08:30")
    assert title == "【舆情预警·测试】重大-值班群" and "无需处理" in body


def test_markdown_to_text() -> None:
    md = "#### 标题\n**分类**：食品\n> 距时限还剩1小时\n[查看](https://a/b)"
    assert markdown_to_text(md) == "标题\n分类：食品\n距时限还剩1小时\n查看：https://a/b"


def test_md_escape_is_one_line() -> None:
    assert md_escape(" a\nb\t*c* ") == "a b ＊c＊"


@given(st.text(), st.integers(0, 300))
def test_truncate_never_splits_a_character_or_overflows(text: str, limit: int) -> None:
    out = truncate_utf8(text, limit)
    assert len(out.encode("utf-8")) <= limit
    if len(text.encode("utf-8")) <= limit:
        assert out == text
