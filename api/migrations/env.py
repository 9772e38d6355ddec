"""Alembic environment: runs on the connection api.db hands over (see api.db._alembic_config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from api.db import Base
import api.models  # noqa: F401  (registers the core tables on Base.metadata)

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # plain `alembic` invocation with sqlalchemy.url set
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
