"""Tracking commands: respond, commitments, grade, audit verify."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from tracker.cli.core import app_from_args
from tracker.clock import fmt_beijing, parse_iso
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import Incident, Unit


def register(sub: Any) -> None:
    p = sub.add_parser("respond", help="登记一次官方回应（满足对应的时限义务）")
    p.add_argument("incident", type=int, help="事件编号")
    p.add_argument(
        "--form",
        required=True,
        help="回应形式：通报、情况说明、官方声明、辟谣、新闻发布会、答复、媒体采访、进展通报",
    )
    p.add_argument(
        "--at", required=True, help='发布时间，如 2026-11-23T15:30 或 "2026-11-23 15:30"（北京时间）'
    )
    p.add_argument("--url", default="", help="回应链接")
    p.add_argument("--text", default="", help="回应正文（用于提取承诺）")
    p.add_argument("--unit", default="", help="发布单位名称（默认牵头单位）")
    p.add_argument("--actor", default="命令行", help="登记人")
    p.set_defaults(func=cmd_respond)

    p = sub.add_parser("grade", help="研判：确认或调整事件等级（需填写理由）")
    p.add_argument("incident", type=int)
    p.add_argument("grade", help="一般、较大、重大、特别重大（或 IV、III、II、I）")
    p.add_argument("--reason", required=True)
    p.add_argument("--actor", default="命令行")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("commitment", help="承诺：登记、兑现、公开")
    csub = p.add_subparsers(dest="commitment_command", metavar="操作")
    c = csub.add_parser("add", help="从某次回应登记一项承诺")
    c.add_argument("response", type=int, help="回应编号")
    c.add_argument("--content", required=True, help="承诺内容，如 30日内完成整改")
    c.add_argument(
        "--due",
        help="到期时间（北京时间），如 2026-12-23T18:00；无明确期限时省略并加 --periodic",
    )
    c.add_argument("--periodic", action="store_true", help="无明确期限（如“持续推进”），定期复查")
    c.add_argument("--actor", default="命令行")
    c.set_defaults(func=cmd_commitment_add)
    c = csub.add_parser("fulfil", help="登记承诺已兑现（需要佐证）")
    c.add_argument("commitment", type=int)
    c.add_argument("--evidence-url", default="")
    c.add_argument("--note", default="", help="佐证说明")
    c.add_argument("--disclosed-url", default="", help="兑现情况公开发布的链接")
    c.add_argument("--actor", default="命令行")
    c.set_defaults(func=cmd_commitment_fulfil)

    p = sub.add_parser("dispose", help="分类处置：记录处置方式，开启该方式要求的公开义务")
    p.add_argument("incident", type=int)
    p.add_argument("disposition", help="建设性意见、实际困难、重大问题、模糊认识、错误看法、虚假不实信息")
    p.add_argument("--actor", default="命令行")
    p.set_defaults(func=cmd_dispose)

    p = sub.add_parser("consult", help="记录会商（参与单位、时间、结论）")
    p.add_argument("incident", type=int)
    p.add_argument("--at", required=True, help="会商时间（北京时间）")
    p.add_argument("--participants", required=True, help="参与单位，逗号分隔")
    p.add_argument("--conclusion", required=True)
    p.add_argument("--actor", default="命令行")
    p.set_defaults(func=cmd_consult)

    p = sub.add_parser("audit", help="审计链")
    asub = p.add_subparsers(dest="audit_command", metavar="操作")
    v = asub.add_parser("verify", help="校验审计链：找出被修改或删除的记录")
    v.set_defaults(func=cmd_audit_verify)


def _incident(session: Any, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise UserError(f"没有编号为 {incident_id} 的事件")
    return incident


def _parse_time(text: str) -> Any:
    try:
        return parse_iso(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise UserError(f"无法识别的时间“{text}”，应为 2026-11-23T15:30 这样的格式（北京时间）") from None


def cmd_respond(args: argparse.Namespace) -> int:
    from tracker.commitments import suggest
    from tracker.responses import log_response

    app = app_from_args(args)
    now = app.clock.now()
    with transaction(app.sessions) as session:
        incident = _incident(session, args.incident)
        unit = None
        if args.unit:
            unit = session.scalar(select(Unit).where(Unit.name == args.unit))
            if unit is None:
                raise UserError(f"没有名为 {args.unit!r} 的单位")
        logged = log_response(
            session,
            incident,
            form=args.form,
            published_at=_parse_time(args.at),
            actor=args.actor,
            now=now,
            url=args.url,
            text=args.text,
            unit=unit,
        )
        print(f"已登记回应 #{logged.response.id}（{args.form}，{fmt_beijing(logged.response.published_at)}）")
        for ob in logged.satisfied:
            state = "按时完成" if ob.state == "met" else "逾期完成"
            print(f"  满足时限：{ob.kind}（截止 {fmt_beijing(ob.due_at)}）→ {state}")
        if not logged.satisfied:
            print("  未满足任何待办时限（回应形式与待办义务不对应，或事件尚无时限）")
        for s in suggest(session, app.settings, logged.response):
            due = fmt_beijing(s.due) if s.due else "定期复查"
            print(f"  建议登记承诺：{s.content}（期限 {due}）——请在网页中确认")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from analysis.taxonomy import GRADES
    from tracker.workflow import confirm_grade

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        incident = _incident(session, args.incident)
        try:
            opened = confirm_grade(
                session, app.settings, incident, args.grade, args.reason, args.actor, app.clock.now()
            )
        except ValueError as exc:
            raise UserError(str(exc)) from None
        print(f"事件 #{incident.id} 等级确认为 {GRADES[incident.grade or 'IV']}")
        for ob in opened:
            print(f"  开启时限：{ob.kind}，截止 {fmt_beijing(ob.due_at)}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from tracker.audit import read_anchors, verify

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        problems = verify(session, read_anchors(app.path("var/audit.anchor")))
    if not problems:
        print("审计链完整：未发现被修改或删除的记录")
        return 0
    for p in problems:
        print(f"审计链异常：{p.problem}")
    return 1


def cmd_commitment_add(args: argparse.Namespace) -> int:
    from tracker.commitments import add_commitment
    from tracker.models import Response

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        response = session.get(Response, args.response)
        if response is None:
            raise UserError(f"没有编号为 {args.response} 的回应")
        due = _parse_time(args.due) if args.due else None
        c = add_commitment(
            session,
            response,
            content=args.content,
            due_at=due,
            actor=args.actor,
            now=app.clock.now(),
            periodic=args.periodic,
        )
        print(
            f"已登记承诺 #{c.id}：{c.content}（{'定期复查' if c.periodic else '到期 ' + fmt_beijing(c.due_at)}）"
        )
    return 0


def cmd_commitment_fulfil(args: argparse.Namespace) -> int:
    from tracker.commitments import fulfil
    from tracker.models import Commitment

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        c = session.get(Commitment, args.commitment)
        if c is None:
            raise UserError(f"没有编号为 {args.commitment} 的承诺")
        fulfil(
            session,
            c,
            actor=args.actor,
            now=app.clock.now(),
            evidence_url=args.evidence_url,
            evidence_note=args.note,
            disclosed_url=args.disclosed_url,
        )
        public = "，已公开" if c.disclosed_url else "，尚未公开兑现情况"
        print(f"承诺 #{c.id} 已登记兑现{public}")
    return 0


def cmd_dispose(args: argparse.Namespace) -> int:
    from tracker.workflow import set_disposition

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        incident = _incident(session, args.incident)
        ob = set_disposition(session, app.settings, incident, args.disposition, args.actor, app.clock.now())
        print(
            f"事件 #{incident.id} 处置方式：{args.disposition}；需 {fmt_beijing(ob.due_at)} 前完成：{ob.kind}"
        )
    return 0


def cmd_consult(args: argparse.Namespace) -> int:
    from tracker.workflow import add_consultation

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        incident = _incident(session, args.incident)
        parts = [p for p in args.participants.replace("，", ",").split(",")]
        c = add_consultation(
            session, incident, _parse_time(args.at), parts, args.conclusion, args.actor, app.clock.now()
        )
        print(f"已记录会商 #{c.id}（{'、'.join(c.participants)}）")
    return 0
