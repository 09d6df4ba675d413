"""The daily brief's sections (shared by Word and HTML) and its self-contained HTML page.

Everything in the page is escaped: titles and texts come from public posts. Only http(s) URLs become
links.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from tracker.clock import fmt_beijing
from tracker.reports.brief import Brief, BriefCommitment, BriefObligation

Cell = tuple[str, str | None]  # (text, link or None)


@dataclass(frozen=True)
class Section:
    heading: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = "无。"


def _t(text: str) -> Cell:
    return (text, None)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _due(ob: BriefObligation) -> str:
    return fmt_beijing(ob.due_at) + ("（暂定）" if ob.provisional else "")


def _obligation_rows(items: tuple[BriefObligation, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            _t(f"#{o.incident_id} {o.incident_title}"),
            _t(o.kind),
            _t(o.unit_name),
            _t(_due(o)),
            _t(o.state_name),
            _t(fmt_beijing(o.met_at)),
        )
        for o in items
    )


def _commitment_rows(items: tuple[BriefCommitment, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            _t(f"#{c.incident_id} {c.incident_title}"),
            _t(c.content),
            _t(c.unit_name),
            _t(fmt_beijing(c.due_at)),
            _t(c.status_name),
        )
        for c in items
    )


def sections(brief: Brief) -> list[Section]:
    ob_headers = ("事件", "时限事项", "责任单位", "截止时间", "状态", "完成时间")
    c_headers = ("事件", "承诺内容", "责任单位", "承诺期限", "状态")
    return [
        Section(
            "二、新增事件（按等级）",
            ("等级", "新增", "其中已确认等级"),
            tuple((_t(g.grade_name), _t(str(g.total)), _t(str(g.confirmed))) for g in brief.by_grade),
        ),
        Section(
            "三、新增事件（按分类）",
            ("分类", "新增"),
            tuple((_t(name), _t(str(n))) for name, n in brief.by_category),
        ),
        Section(
            "四、热点事件（按当日帖子数）",
            ("事件", "等级", "分类", "牵头单位", "当日帖子数", "负面占比"),
            tuple(
                (
                    (f"#{i.id} {i.title}", i.link),
                    _t(i.grade_name),
                    _t(i.category_name),
                    _t(i.unit_name),
                    _t(str(i.posts)),
                    _t(_pct(i.negative_share)),
                )
                for i in brief.top_incidents
            ),
        ),
        Section("五、当日到期的回应时限", ob_headers, _obligation_rows(brief.due_today)),
        Section("六、当日新增超时", ob_headers, _obligation_rows(brief.breached_today)),
        Section(
            "七、当日发布的回应",
            ("发布时间", "事件", "回应形式", "单位", "链接"),
            tuple(
                (
                    _t(fmt_beijing(r.published_at) + ("（待确认）" if r.candidate else "")),
                    _t(f"#{r.incident_id} {r.incident_title}"),
                    _t(r.form),
                    _t(r.unit_name),
                    (r.url, r.url if r.url.startswith(("http://", "https://")) else None),
                )
                for r in brief.responses
            ),
        ),
        Section("八、当日到期的承诺", c_headers, _commitment_rows(brief.commitments_due)),
        Section("九、逾期未兑现的承诺（截至生成时）", c_headers, _commitment_rows(brief.commitments_overdue)),
    ]


_CSS = """
body{font-family:"仿宋_GB2312","FangSong","Noto Serif CJK SC",serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#111;line-height:1.6}
h1{font-family:"方正小标宋简体","SimSun","Noto Serif CJK SC",serif;text-align:center;font-weight:normal}
h2{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif;font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #999;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#eef3f8}.meta{color:#555;text-align:center}
"""


def _cell(cell: Cell) -> str:
    text, link = cell
    if link:
        return f'<a href="{escape(link)}" rel="noopener noreferrer">{escape(text)}</a>'
    return escape(text)


def _section_html(section: Section) -> str:
    out = [f"<h2>{escape(section.heading)}</h2>"]
    if not section.rows:
        out.append(f"<p>{escape(section.empty)}</p>")
        return "\n".join(out)
    out.append("<table><thead><tr>")
    out.extend(f"<th>{escape(h)}</th>" for h in section.headers)
    out.append("</tr></thead><tbody>")
    for row in section.rows:
        out.append("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_html(brief: Brief) -> str:
    """A self-contained page (inline style, no scripts, no external resources)."""
    body = "\n".join(_section_html(s) for s in sections(brief))
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(brief.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{escape(brief.title)}</h1>\n"
        f'<p class="meta">生成时间：{escape(fmt_beijing(brief.generated_at))}（北京时间）</p>\n'
        f"<h2>一、总体情况</h2>\n<p>{escape(brief.summary())}</p>\n{body}\n</body>\n</html>\n"
    )
