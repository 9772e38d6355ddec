"""Database plumbing: one SQLAlchemy 2 engine per process, SQLite (embedded default) or PostgreSQL.

``Base`` lives here (not in models.py) so other parts of the service (review, appeals) can
declare their own tables on the same metadata and migrations without importing ours.

SQLite choices, and why:
* WAL so readers never block the writer (API reads while a worker commits results);
* ``busy_timeout`` so concurrent writers (API + N worker processes) wait instead of failing;
* transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
  writes can fail at once with SQLITE_BUSY (lock upgrade), which busy_timeout cannot fix.
  Taking the write lock up front turns that into an ordinary wait. Workers never keep a
  transaction open while scoring, so the lock is held for milliseconds. Read-only sessions
  (:func:`make_read_sessionmaker`, used for GET requests) begin DEFERRED so readers never wait
  for writers; code in them that must write commits its reads first, so the write starts a
  fresh transaction (which waits normally).
* ``foreign_keys=ON`` because SQLite ignores foreign keys otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, BigInteger, Integer, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Portable column types: JSONB and BIGINT ids on PostgreSQL; SQLite needs INTEGER for rowid pks.
JSONType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Naive UTC: both dialects store it identically, so comparisons (leases) are portable."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(value: datetime | None) -> datetime | None:
    """An aware date-time as naive UTC (how the database stores times); naive ones are kept."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # pool as large as the HTTP thread pool's typical concurrency: a request waiting for a
        # connection is worse than one waiting for SQLite's (short) write lock
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=20, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: handlers build responses from objects after the commit.
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading: SQLite begins DEFERRED (see the module docstring); PostgreSQL as usual."""
    return sessionmaker(engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)


def is_postgres(engine_or_session) -> bool:  # noqa: ANN001
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


# ----------------------------------------------------------------------------- migrations


def _alembic_config(connection=None):  # noqa: ANN001, ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The connection is handed over directly: URLs may hold '%' (e.g. PG options), which
    # alembic's ini interpolation would mangle.
    cfg.attributes["connection"] = connection
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def check_ready(engine: Engine) -> tuple[bool, str]:
    """(ready, reason) for /readyz: the database answers and the schema is at head."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revisions(engine)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with the reason
        return False, f"database unreachable: {type(exc).__name__}: {exc}"
    heads = head_revisions()
    if current != heads:
        return False, (f"database schema at {sorted(current) or 'none'}, code expects {sorted(heads)}; "
                       "run `qa-engine serve` (upgrades on start) or `qa-engine db upgrade`")
    return True, "ok"
