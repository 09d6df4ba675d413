"""Accounts: password hashing (scrypt from the standard library) and the user service used by the web UI
and `yuqing user …`.

Hash format: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<key b64>``. The cost is stored with each hash so it can
be raised later: `needs_rehash` tells the login to re-hash with the current cost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.audit import record
from tracker.errors import UserError
from tracker.models import Unit, User

ROLES: dict[str, str] = {"admin": "管理员", "duty": "值班员", "unit": "单位用户", "reviewer": "督查"}

#: scrypt cost: n = 2**15, r = 8 → 32 MiB and about 0.1 s per hash on an office server.
SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
_MAXMEM = 256 * 1024 * 1024
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,50}$")
MIN_PASSWORD_LENGTH = 8
LONG_PASSWORD_LENGTH = 12


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAXMEM, dklen=32
    )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_LOG2_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison; a malformed stored hash never matches."""
    try:
        scheme, log2_n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
        return hmac.compare_digest(actual, base64.b64decode(key))
    except (ValueError, TypeError):
        return False


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return True
    return (int(parts[1]), int(parts[2]), int(parts[3])) < (SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)


# A hash to verify against when the user does not exist, so a missing user takes as long as a wrong
# password (no user enumeration by timing).
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def check_password_policy(password: str, username: str) -> None:
    """等保-style complexity: at least 8 characters from at least 3 of 4 classes, or a long one (12+, e.g.
    a generated password) from any characters; never containing the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if username and username.lower() in password.lower():
        raise UserError("密码不能包含用户名")
    if len(password) >= LONG_PASSWORD_LENGTH:
        return
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        raise UserError(
            f"密码需要包含小写字母、大写字母、数字、符号中的至少三类（或使用至少 {LONG_PASSWORD_LENGTH} 个字符的长密码）"
        )


def _check_role_unit(session: Session, role: str, unit_id: int | None) -> None:
    if role not in ROLES:
        raise UserError(f"未知的角色 {role!r}（可用：{'、'.join(f'{k}={v}' for k, v in ROLES.items())}）")
    if role == "unit" and unit_id is None:
        raise UserError("单位用户必须指定所属单位")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise UserError("所选单位不存在")


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    unit_id: int | None,
    actor: str,
    now: datetime,
) -> User:
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError("用户名应为 2–50 个字母、数字、汉字或 _ . -")
    if find_user(session, username) is not None:
        raise UserError(f"用户 {username} 已存在")
    _check_role_unit(session, role, unit_id)
    check_password_policy(password, username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        unit_id=unit_id if role == "unit" else None,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.add", "user", user.id, {"username": username, "role": role}, now)
    return user


def set_password(session: Session, user: User, password: str, actor: str, now: datetime) -> None:
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    record(session, actor, "user.passwd", "user", user.id, {"username": user.username}, now)


def update_user(
    session: Session,
    user: User,
    *,
    role: str,
    unit_id: int | None,
    active: bool,
    actor: str,
    now: datetime,
) -> None:
    _check_role_unit(session, role, unit_id)
    if user.role == "admin" and (role != "admin" or not active) and _active_admins(session) <= 1:
        raise UserError("不能停用或降级最后一个管理员")
    user.role, user.unit_id, user.active = role, unit_id if role == "unit" else None, active
    record(
        session,
        actor,
        "user.update",
        "user",
        user.id,
        {"username": user.username, "role": role, "unit": user.unit_id, "active": active},
        now,
    )


def _active_admins(session: Session) -> int:
    q = select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    return int(session.scalar(q) or 0)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None. Upgrades an old-cost hash on success."""
    user = find_user(session, username) if username.strip() else None
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def password_stamp(user: User, key: bytes) -> str:
    """A short keyed fingerprint of the password hash, kept in the session cookie: changing the password
    changes it, which ends every other session of that user."""
    return hmac.new(key, user.password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:24]
