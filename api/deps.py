"""Per-app services (settings, database) and the FastAPI dependencies that hand them out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.db import make_engine, make_read_sessionmaker, make_sessionmaker
from api.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    queue_registry: Any = field(default=None)  # prometheus registry with the DB-backed queue gauges
    worker: Any = field(default=None)  # the embedded worker, when running

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = make_engine(settings.db_url)
        return cls(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                   read_sessions=make_read_sessionmaker(engine))


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit explicitly, anything uncommitted rolls back.
    GET/HEAD get a read session (on SQLite it does not take the write lock)."""
    services = request.app.state.services
    factory = services.read_sessions if request.method in ("GET", "HEAD") else services.sessions
    with factory() as session:
        yield session
