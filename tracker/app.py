"""The application context: settings, engine, sessions and clock, built once per process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tracker.clock import Clock, SystemClock
from tracker.config import load_settings
from tracker.db import engine_from_settings, read_factory, session_factory
from tracker.settings_schema import Settings


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return engine_from_settings(self.settings.database, self.root)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def read_sessions(self) -> sessionmaker[Session]:
        """For read-only work: no write lock on SQLite (writes through these sessions fail)."""
        return read_factory(self.engine)

    @property
    def root(self) -> Path:
        return Path(self.settings.root or ".")

    def path(self, relative: str) -> Path:
        """A path from config, relative to the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    @cached_property
    def author_salt(self) -> bytes:
        """Salt for author-handle hashes; created on first use and kept (changing it breaks bot signals)."""
        path = self.path(self.settings.privacy.author_salt_file)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="ascii")
            path.chmod(0o600)
        return path.read_text(encoding="ascii").strip().encode()


def load_app(config_path: str | None = None, clock: Clock | None = None) -> App:
    settings = load_settings(config_path)
    return App(settings, clock or SystemClock())
