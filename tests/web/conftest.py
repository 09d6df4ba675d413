"""Fixtures for the web UI tests: a seeded application on a temporary SQLite database and logged-in
Flask test clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.seed import PASSWORD, Seeded, build_app, seed
from tracker.app import App
from tracker.web import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        token = sess.get("csrf")
    if token:
        return str(token)
    page = client.get("/login").get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "login page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A form POST with this session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client)}, **kw)


class Env:
    def __init__(self, app: App, flask_app: Flask, ids: Seeded) -> None:
        self.app, self.flask, self.ids = app, flask_app, ids

    def client(self, username: str | None = None) -> FlaskClient:
        c = self.flask.test_client()
        if username:
            r = login(c, username)
            assert r.status_code == 302, f"login of {username} failed: {r.status_code}"
        return c


def _env(tmp_path: Path, **kw: Any) -> Env:
    app = build_app(tmp_path, **kw)
    ids = seed(app)
    return Env(app, create_app(app, environ={}), ids)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = _env(tmp_path)
    yield e
    e.app.engine.dispose()


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Callable[..., Env]]:
    made: list[Env] = []

    def make(**kw: Any) -> Env:
        sub = tmp_path / f"e{len(made)}"
        sub.mkdir()
        e = _env(sub, **kw)
        made.append(e)
        return e

    yield make
    for e in made:
        e.app.engine.dispose()


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One seeded app for a whole module of read-mostly tests (the authorisation matrix)."""
    e = _env(tmp_path_factory.mktemp("web"))
    yield e
    e.app.engine.dispose()
