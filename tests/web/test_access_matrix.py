"""The authorisation matrix: every route × every role × the user's own unit's object or another unit's →
the expected status. Allowed actions are sent with a payload the service refuses (400 with the form
error) or that changes nothing, so one seeded database serves every case; a forbidden one must answer
403 before anything runs.

A route added to the app without a row here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import Env, post
from tests.web.seed import Seeded

# who may use a route:
#   all     every logged-in role
#   obj     every role, but a unit user only on its own unit's incidents
#   writer  admin, duty, and a unit user on its own unit's incidents
#   staff   admin and duty
#   report  admin, duty, reviewer
#   admin   admin only
#   off     nobody: the public page is disabled in this app
WHO = ("all", "obj", "writer", "staff", "report", "admin", "off")


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # formatted with the object ids of the chosen side (own/other)
    who: str
    ok: int  # status when allowed
    data: dict[str, Any] | None = None


ROUTES: tuple[Route, ...] = (
    Route("dashboard.index", "GET", "/", "all", 200),
    Route("incidents.show", "GET", "/incidents/{inc}", "obj", 200),
    Route("actions.grade", "POST", "/incidents/{inc}/grade", "staff", 400, {"grade": "IV", "reason": ""}),
    Route("actions.units", "POST", "/incidents/{inc}/units", "staff", 400, {"lead_unit": "999999"}),
    Route("actions.disposition", "POST", "/incidents/{inc}/disposition", "staff", 400, {"disposition": "无"}),
    Route("actions.consultation", "POST", "/incidents/{inc}/consultation", "writer", 400, {"at": ""}),
    Route("actions.close", "POST", "/incidents/{inc}/close", "staff", 400, {"reason": ""}),
    Route("actions.reopen", "POST", "/incidents/{inc}/reopen", "staff", 400, {}),
    Route("actions.merge", "POST", "/incidents/{inc}/merge", "staff", 400, {"others": ""}),
    Route("actions.split", "POST", "/incidents/{inc}/split", "staff", 400, {}),
    Route("actions.public", "POST", "/incidents/{inc}/public", "staff", 400, {"public": "1", "summary": ""}),
    Route("actions.waive", "POST", "/obligations/{ob}/waive", "staff", 400, {"reason": ""}),
    Route("responses.create", "POST", "/incidents/{inc}/responses", "writer", 400, {"form": "通报"}),
    Route("responses.commitments", "GET", "/responses/{resp}/commitments", "obj", 200),
    Route(
        "responses.commitments",
        "POST",
        "/responses/{resp}/commitments",
        "writer",
        400,
        {"rows": "1", "c0-include": "1", "c0-content": ""},
    ),
    Route("commitments.board", "GET", "/commitments", "all", 200),
    Route("commitments.show", "GET", "/commitments/{cm}", "obj", 200),
    Route("commitments.fulfil_view", "POST", "/commitments/{cm}/fulfil", "writer", 400, {}),
    Route("commitments.disclose_view", "POST", "/commitments/{cm}/disclose", "writer", 400, {"url": ""}),
    Route("ledger.index", "GET", "/ledger", "all", 200),
    Route("ledger.export_xlsx", "GET", "/ledger/export.xlsx", "all", 200),
    Route("ledger.export_csv", "GET", "/ledger/export.csv", "all", 200),
    Route("ledger.units_report", "GET", "/reports/units?period=2026H2", "report", 200),
    Route("ledger.daily_report", "GET", "/reports/daily?date=2026-11-23", "report", 200),
    Route("admin.sources", "GET", "/admin/sources", "admin", 200),
    Route("admin.crawl", "POST", "/admin/sources/1/crawl", "admin", 302, {}),  # not in config: refused
    Route("admin.topics", "GET", "/admin/topics", "admin", 200),
    Route("admin.topics", "POST", "/admin/topics", "admin", 400, {"name": "x", "query": "("}),
    Route("admin.units", "GET", "/admin/units", "admin", 200),
    Route("admin.routes", "GET", "/admin/routes", "admin", 200),
    Route("admin.routes", "POST", "/admin/routes", "admin", 200, {"route": "不存在"}),
    Route("admin.calendar", "GET", "/admin/calendar", "admin", 200),
    Route("admin.calendar", "POST", "/admin/calendar", "admin", 400, {"day": ""}),
    Route("admin_users.index", "GET", "/admin/users", "admin", 200),
    Route("admin_users.index", "POST", "/admin/users", "admin", 400, {"username": ""}),
    Route("admin_users.update", "POST", "/admin/users/2", "admin", 400, {"role": "无"}),
    Route("admin_users.reset_password", "POST", "/admin/users/2/password", "admin", 400, {"password": "a"}),
    Route("auth.password", "GET", "/password", "all", 200),
    Route("auth.password", "POST", "/password", "all", 400, {"old": "wrong", "new": "x", "again": "x"}),
    Route("public.index", "GET", "/public", "off", 404),
    Route("public.feed", "GET", "/public/feed.xml", "off", 404),
)
# Tested on their own (test_security.py): they start or end the session itself.
SPECIAL = {"auth.login", "auth.logout", "health.healthz", "static"}
ROLES = ("admin", "duty", "reviewer", "unit_a")
SIDES = ("own", "other")


def expected(route: Route, role: str, side: str) -> int:
    unit_ok = role != "unit_a" or side == "own"
    allowed = {
        "all": True,
        "obj": unit_ok,
        "writer": role in ("admin", "duty") or (role == "unit_a" and side == "own"),
        "staff": role in ("admin", "duty"),
        "report": role in ("admin", "duty", "reviewer"),
        "admin": role == "admin",
        "off": True,
    }[route.who]
    return route.ok if allowed else 403


def ids_for(ids: Seeded, side: str) -> dict[str, int]:
    """unit_a's own objects hang off incident A; the other side's off incident B (unit B)."""
    if side == "own":
        return {"inc": ids.inc_a, "ob": ids.ob_a, "resp": ids.resp_a, "cm": ids.cm_a}
    return {"inc": ids.inc_b, "ob": ids.ob_b, "resp": ids.resp_b, "cm": ids.cm_b}


@pytest.fixture(scope="module")
def clients(shared_env: Env) -> Iterator[dict[str, FlaskClient]]:
    yield {role: shared_env.client(role) for role in ROLES}


def _call(client: FlaskClient, route: Route, path: str) -> Any:
    if route.method == "GET":
        return client.get(path)
    return post(client, path, route.data)


CASES = [
    pytest.param(r, role, side, id=f"{r.method} {r.endpoint}|{role}|{side}")
    for r in ROUTES
    for role in ROLES
    for side in SIDES
]


@pytest.mark.parametrize(("route", "role", "side"), CASES)
def test_matrix(shared_env: Env, clients: dict[str, FlaskClient], route: Route, role: str, side: str) -> None:
    path = route.path.format(**ids_for(shared_env.ids, side))
    response = _call(clients[role], route, path)
    want = expected(route, role, side)
    assert response.status_code == want, response.get_data(as_text=True)[:500]
    if want == 400:
        # refused by the service with a Chinese form error, not by the CSRF check
        body = response.get_data(as_text=True)
        assert 'class="error"' in body and "CSRF" not in body


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_anonymous(shared_env: Env, route: Route) -> None:
    """Without a login: pages redirect to the login page, actions are refused outright."""
    client = shared_env.client()
    path = route.path.format(**ids_for(shared_env.ids, "own"))
    if route.who == "off":
        assert client.get(path).status_code == 404
        return
    response = _call(client, route, path)
    if route.method == "GET":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 401


def test_every_route_is_in_the_matrix(shared_env: Env) -> None:
    covered = {(r.endpoint, r.method) for r in ROUTES}
    missing = [
        (rule.endpoint, method)
        for rule in shared_env.flask.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if rule.endpoint not in SPECIAL and (rule.endpoint, method) not in covered
    ]
    assert not missing, f"routes without an authorisation rule: {missing}"


def test_unit_user_lists_only_its_incidents(shared_env: Env, clients: dict[str, FlaskClient]) -> None:
    ids = shared_env.ids
    page = clients["unit_a"].get("/").get_data(as_text=True)
    assert f'/incidents/{ids.inc_a}"' in page
    assert f'/incidents/{ids.inc_b}"' not in page and f'/incidents/{ids.inc_c}"' not in page
    other = shared_env.client("unit_b").get("/").get_data(as_text=True)
    # unit B leads incident B and is a responsible (not lead) unit of incident C
    assert f'/incidents/{ids.inc_b}"' in other and f'/incidents/{ids.inc_c}"' in other
    assert f'/incidents/{ids.inc_a}"' not in other
    board = clients["unit_a"].get("/commitments").get_data(as_text=True)
    assert f'/incidents/{ids.inc_a}"' in board and f'/incidents/{ids.inc_b}"' not in board


def test_forbidden_valid_action_writes_nothing(shared_env: Env) -> None:
    """A complete, valid response on another unit's incident is refused and leaves no row behind."""
    from sqlalchemy import func, select

    from tracker.models import AuditEvent, Response

    def counts() -> tuple[int, int]:
        with shared_env.app.sessions() as s:
            return (
                s.scalar(select(func.count()).select_from(Response)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            )

    before = counts()
    data = {"form": "通报", "published_at": "2026-11-23 13:00", "text": "已处理"}
    r = post(shared_env.client("unit_a"), f"/incidents/{shared_env.ids.inc_b}/responses", data)
    assert r.status_code == 403
    r = post(shared_env.client("reviewer"), f"/incidents/{shared_env.ids.inc_a}/responses", data)
    assert r.status_code == 403
    assert counts() == before
