"""Alembic environment. The URL comes from the caller (``yuqing db upgrade``) via config attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tracker.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # FTS5 shadow tables are created by raw SQL; autogenerate must not propose dropping them.
    return not (type_ == "table" and name and name.startswith("posts_fts"))


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    from tracker.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run_migrations(conn)
else:
    run_migrations(connection)
