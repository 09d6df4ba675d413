"""The office workflow through the web forms: 研判, units, responses with commitments, fulfilment,
waive, merge/split, close; refused input keeps what the user typed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.web.conftest import Env, post
from tests.web.seed import NOW
from tracker.models import (
    AuditEvent,
    Commitment,
    GradeChange,
    Incident,
    IncidentUnit,
    Obligation,
    Post,
    Response,
)


def _get(env: Env, model: type, ident: int) -> object:
    with env.app.sessions() as s:
        row = s.get(model, ident)
        assert row is not None
        s.expunge(row)
        return row


def test_confirm_grade_records_history_and_audit(env: Env) -> None:
    duty = env.client("duty")
    r = post(duty, f"/incidents/{env.ids.inc_a}/grade", {"grade": "I", "reason": "涉及未成年人，升级"})
    assert r.status_code == 302
    page = duty.get(f"/incidents/{env.ids.inc_a}").get_data(as_text=True)
    assert "涉及未成年人，升级" in page and "特别重大" in page
    with env.app.sessions() as s:
        change = s.scalar(select(GradeChange).where(GradeChange.incident_id == env.ids.inc_a))
        assert change is not None and change.new_grade == "I" and change.actor == "duty"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "incident.grade")) is not None


def test_refused_grade_keeps_input(env: Env) -> None:
    r = post(env.client("duty"), f"/incidents/{env.ids.inc_a}/grade", {"grade": "III", "reason": "  "})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "确认或调整等级需要填写理由" in html
    assert '<option value="III" selected>' in html


def test_response_two_steps_meets_obligation_and_adds_commitment(env: Env) -> None:
    duty = env.client("duty")
    text = "经调查，系配餐公司食材储存不当所致。我局将于10个工作日内完成全市学校食堂排查，并向社会公布结果。"
    r = post(
        duty,
        f"/incidents/{env.ids.inc_a}/responses",
        {
            "form": "通报",
            "published_at": "2026-11-23T13:30",
            "url": "https://jyj.example.gov.cn/1",
            "text": text,
        },
    )
    assert r.status_code == 302
    step2 = r.headers["Location"]
    assert step2.startswith("/responses/") and step2.endswith("/commitments")
    ob = _get(env, Obligation, env.ids.ob_a)
    assert ob.state == "met"  # type: ignore[attr-defined]
    page = duty.get(step2).get_data(as_text=True)
    assert "10个工作日内" in page and "权威信息发布" in page
    # the suggestion is prefilled: 10 working days from Monday 2026-11-23 13:30 → Monday 2026-12-07 24:00
    assert 'value="2026-12-08T00:00"' in page
    r = post(
        duty,
        step2,
        {
            "rows": "2",
            "c0-include": "1",
            "c0-content": "全市学校食堂排查并公布结果",
            "c0-due": "2026-12-08T00:00",
            "c0-orig": "2026-12-08T00:00",
            "c1-include": "",
            "c1-content": "",
        },
    )
    assert r.status_code == 302
    with env.app.sessions() as s:
        c = s.scalar(select(Commitment).where(Commitment.content == "全市学校食堂排查并公布结果"))
        assert (
            c is not None
            and c.due_at == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
            and c.confirmed_by == "duty"
        )
        resp = s.get(Response, c.response_id)
        assert resp is not None and resp.form == "通报" and resp.published_at == NOW - timedelta(minutes=30)


def test_commitment_row_error_names_the_row_and_keeps_rows(env: Env) -> None:
    duty = env.client("duty")
    r = post(
        duty,
        f"/responses/{env.ids.resp_a}/commitments",
        {"rows": "2", "c0-include": "1", "c0-content": "保留这一行", "c0-due": "2026-12-01T12:00",
         "c1-include": "1", "c1-content": "没有期限的一行", "c1-due": ""},
    )  # fmt: skip
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "第 2 行" in html and "保留这一行" in html and "没有期限的一行" in html
    with env.app.sessions() as s:  # all or nothing
        assert s.scalar(select(Commitment).where(Commitment.content == "保留这一行")) is None


def test_unit_user_response_is_recorded_for_its_unit(env: Env) -> None:
    unit = env.client("unit_a")
    data = {
        "form": "情况说明",
        "published_at": "2026-11-23 13:50",
        "text": "已组织排查",
        "unit": str(env.ids.unit_b),
    }
    assert post(unit, f"/incidents/{env.ids.inc_a}/responses", data).status_code == 302
    with env.app.sessions() as s:
        resp = s.scalar(select(Response).where(Response.text == "已组织排查"))
        assert resp is not None and resp.unit_id == env.ids.unit_a and resp.recorded_by == "unit_a"


def test_fulfil_needs_evidence_then_disclose(env: Env) -> None:
    unit = env.client("unit_a")
    path = f"/commitments/{env.ids.cm_a}"
    r = post(unit, f"{path}/fulfil", {"evidence_note": "", "evidence_url": ""})
    assert r.status_code == 400 and "佐证材料" in r.get_data(as_text=True)
    r = post(
        unit, f"{path}/fulfil", {"evidence_url": "https://jyj.example.gov.cn/zg", "evidence_note": "整改报告"}
    )
    assert r.status_code == 302
    board = env.client("duty").get("/commitments").get_data(as_text=True)
    undisclosed = board.split('id="undisclosed"')[1].split("</section>")[0]
    assert "10个工作日内完成排查整改" in undisclosed
    assert post(unit, f"{path}/disclose", {"url": "https://jyj.example.gov.cn/gk"}).status_code == 302
    c = _get(env, Commitment, env.ids.cm_a)
    assert c.status == "fulfilled" and c.disclosed_url == "https://jyj.example.gov.cn/gk"  # type: ignore[attr-defined]


def test_fulfilment_time_cannot_be_in_the_future(env: Env) -> None:
    r = post(
        env.client("duty"),
        f"/commitments/{env.ids.cm_a}/fulfil",
        {"evidence_note": "x", "fulfilled_at": "2026-12-01 10:00"},
    )
    assert r.status_code == 400 and "不能晚于当前时间" in r.get_data(as_text=True)


def test_waive_obligation_with_reason(env: Env) -> None:
    duty = env.client("duty")
    r = post(duty, f"/obligations/{env.ids.ob_b}/waive", {"reason": "经核实为不实信息，无需回应"})
    assert r.status_code == 302
    ob = _get(env, Obligation, env.ids.ob_b)
    assert ob.state == "waived" and ob.waived_by == "duty"  # type: ignore[attr-defined]


def test_assign_units_changes_who_sees_the_incident(env: Env) -> None:
    duty = env.client("duty")
    data = {"lead_unit": str(env.ids.unit_b), "units": [str(env.ids.unit_b)]}
    assert post(duty, f"/incidents/{env.ids.inc_a}/units", data).status_code == 302
    assert env.client("unit_a").get(f"/incidents/{env.ids.inc_a}").status_code == 403
    assert env.client("unit_b").get(f"/incidents/{env.ids.inc_a}").status_code == 200
    with env.app.sessions() as s:
        units = s.scalars(select(IncidentUnit.unit_id).where(IncidentUnit.incident_id == env.ids.inc_a)).all()
        assert list(units) == [env.ids.unit_b]


def test_merge_and_split(env: Env) -> None:
    duty = env.client("duty")
    assert post(duty, f"/incidents/{env.ids.inc_b}/merge", {"others": f"#{env.ids.inc_c}"}).status_code == 302
    merged = _get(env, Incident, env.ids.inc_c)
    assert merged.status == "merged" and merged.merged_into_id == env.ids.inc_b  # type: ignore[attr-defined]
    assert post(duty, f"/incidents/{env.ids.inc_b}/merge", {"others": str(env.ids.inc_c)}).status_code == 400
    target = duty.get(f"/incidents/{env.ids.inc_b}").get_data(as_text=True)
    assert f'已并入本事件：<a href="/incidents/{env.ids.inc_c}">' in target
    r = post(
        duty, f"/incidents/{env.ids.inc_a}/split", {"post_ids": [str(env.ids.post_a)], "title": "拆出的事件"}
    )
    assert r.status_code == 302
    with env.app.sessions() as s:
        p = s.get(Post, env.ids.post_a)
        assert p is not None and p.incident_id not in (env.ids.inc_a, None)
        new = s.get(Incident, p.incident_id)
        assert new is not None and new.title == "拆出的事件"


def test_close_removes_from_dashboard_and_reopen(env: Env) -> None:
    duty = env.client("duty")
    assert f'/incidents/{env.ids.inc_b}"' in duty.get("/").get_data(as_text=True)  # now cached
    assert post(duty, f"/incidents/{env.ids.inc_b}/close", {"reason": "已处置完毕"}).status_code == 302
    assert f'/incidents/{env.ids.inc_b}"' not in duty.get("/").get_data(as_text=True)
    assert post(duty, f"/incidents/{env.ids.inc_b}/reopen").status_code == 302
    assert f'/incidents/{env.ids.inc_b}"' in duty.get("/").get_data(as_text=True)


def test_dashboard_orders_by_nearest_deadline_and_colours(env: Env) -> None:
    html = env.client("admin").get("/").get_data(as_text=True)
    order = [int(m) for m in re.findall(r'href="/incidents/(\d+)"', html)]
    # incident C's window ran out three days ago, B's two hours ago, A's 5-hour window ends in two hours
    assert order == [env.ids.inc_c, env.ids.inc_b, env.ids.inc_a]
    assert 'class="row-breach"' in html and 'class="row-warn"' in html
    assert "剩余2小时" in html and "已超时2小时" in html
    assert 'data-due="2026-11-23T16:00:00+08:00"' in html


def test_incident_page_shows_reasons_evidence_effect_and_audit(env: Env) -> None:
    post(env.client("duty"), f"/incidents/{env.ids.inc_a}/grade", {"grade": "II", "reason": "确认重大"})
    html = env.client("reviewer").get(f"/incidents/{env.ids.inc_a}").get_data(as_text=True)
    for text in ("负面帖子占比超过60%", "食物中毒", "回应效果", "前24小时", "确认/调整等级", "帖子时间线"):
        assert text in html, text
    assert "确认等级" not in html and "登记回应" not in html  # a reviewer gets no action forms
