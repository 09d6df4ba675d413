"""Password hashing, the password policy, the user service and `yuqing user …`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

import tracker.auth as auth
from tests.web.conftest import Env, login, post
from tests.web.seed import NOW, build_app
from tracker.cli import main
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import AuditEvent, Unit, User


def test_hash_roundtrip_and_format() -> None:
    h = auth.hash_password("Correct-horse-1")
    assert h.startswith(f"scrypt${auth.SCRYPT_LOG2_N}$8$1$")
    assert auth.verify_password("Correct-horse-1", h)
    assert not auth.verify_password("correct-horse-1", h)
    assert auth.hash_password("Correct-horse-1") != h  # salted
    for broken in ("", "plain", "scrypt$x$8$1$AAAA$AAAA", "md5$1$2$3$4$5"):
        assert not auth.verify_password("x", broken)


def test_needs_rehash_when_cost_rises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "SCRYPT_LOG2_N", 10)
    old = auth.hash_password("Correct-horse-1")
    assert not auth.needs_rehash(old)
    monkeypatch.setattr(auth, "SCRYPT_LOG2_N", 11)
    assert auth.needs_rehash(old) and auth.verify_password("Correct-horse-1", old)


@pytest.mark.parametrize(
    ("password", "ok"),
    [("Ab1!", False), ("abcdefgh", False), ("abcdefg1", False), ("abcdef1!", True), ("Abcdefg1", True),
     ("longpasswordonly", True), ("myduty-Pass1", False)],
)  # fmt: skip
def test_password_policy(password: str, ok: bool) -> None:
    if ok:
        auth.check_password_policy(password, "duty")
    else:
        with pytest.raises(UserError):
            auth.check_password_policy(password, "duty")


def test_login_upgrades_old_hash(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "SCRYPT_LOG2_N", 11)
    assert login(env.client(), "duty").status_code == 302
    with env.app.sessions() as s:
        user = s.scalar(select(User).where(User.username == "duty"))
        assert user is not None and user.password_hash.startswith("scrypt$11$")


def test_last_admin_cannot_be_demoted(env: Env) -> None:
    with transaction(env.app.sessions) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        with pytest.raises(UserError, match="最后一个管理员"):
            auth.update_user(s, admin, role="duty", unit_id=None, active=True, actor="t", now=NOW)


def test_unit_role_needs_unit(env: Env) -> None:
    with transaction(env.app.sessions) as s, pytest.raises(UserError, match="所属单位"):
        auth.create_user(s, "nounit", "Abcdef1!x", "unit", None, "t", NOW)


def test_admin_manages_users_through_web(env: Env) -> None:
    admin = env.client("admin")
    data = {
        "username": "教育局值班",
        "role": "unit",
        "unit": str(env.ids.unit_a),
        "password": "Edu-2026-ok",
        "again": "Edu-2026-ok",
    }
    assert post(admin, "/admin/users", data).status_code == 302
    assert login(env.client(), "教育局值班", "Edu-2026-ok").status_code == 302
    with env.app.sessions() as s:
        user = s.scalar(select(User).where(User.username == "教育局值班"))
        assert user is not None and user.unit_id == env.ids.unit_a
        assert "Edu-2026-ok" not in str(s.scalars(select(AuditEvent.payload)).all())
        uid = user.id
    r = post(admin, f"/admin/users/{uid}", {"role": "unit", "unit": str(env.ids.unit_a), "active": "0"})
    assert r.status_code == 302
    assert login(env.client(), "教育局值班", "Edu-2026-ok").status_code == 401
    me = post(admin, "/admin/users/1", {"role": "duty", "active": "1"})
    assert me.status_code == 400 and "不能停用自己" in me.get_data(as_text=True)


def _cli_config(tmp_path: Path) -> str:
    app = build_app(tmp_path)
    with transaction(app.sessions) as s:
        s.add(Unit(name="市教育局"))
    cfg = tmp_path / "yuqing.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "web.db"}"\n', encoding="utf-8")
    return str(cfg)


def test_cli_user_add_passwd_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _cli_config(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("Str0ng!pass\n"))
    assert main(["--config", cfg, "user", "add", "boss", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("Str0ng!pass\n"))
    assert (
        main(
            [
                "--config",
                cfg,
                "user",
                "add",
                "edu",
                "--role",
                "unit",
                "--unit",
                "市教育局",
                "--password-stdin",
            ]
        )
        == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("weak\n"))
    assert main(["--config", cfg, "user", "add", "weak", "--role", "duty", "--password-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("Str0ng!pass\n"))
    assert (
        main(
            [
                "--config",
                cfg,
                "user",
                "add",
                "nounit",
                "--role",
                "unit",
                "--unit",
                "不存在",
                "--password-stdin",
            ]
        )
        == 2
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("An0ther!pass\n"))
    assert main(["--config", cfg, "user", "passwd", "boss", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "user", "list"]) == 0
    out = capsys.readouterr()
    assert "boss\t管理员" in out.out and "edu\t单位用户\t市教育局" in out.out and "weak" not in out.out
    app = build_app(tmp_path)
    with app.sessions() as s:
        boss = s.scalar(select(User).where(User.username == "boss"))
        assert boss is not None and auth.verify_password("An0ther!pass", boss.password_hash)
