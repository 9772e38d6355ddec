"""FastAPI application factory: ``create_app(settings)``.

The app does not migrate or start workers by itself at import time; ``qa-engine serve`` (or
the caller) decides: ``create_app(settings, migrate=True, embedded_worker=...)``.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry

from api import errors
from api.db import upgrade_to_head
from api.deps import Services
from api.metrics import HTTP_REQUESTS, QueueCollector
from api.routes import auth as auth_routes
from api.routes import conversations, health, uploads
from api.settings import Settings

log = logging.getLogger("api.http")

DESCRIPTION = """AI quality inspection (智能质检) for call-centre chats and calls.

Upload chats (JSON / JSON Lines / CSV) or call recordings; each becomes a conversation with a
durable scoring job. Results carry the rule pack, scorecard and model versions that produced
them; re-scoring with a new pack adds a version. Authenticate with a bearer token from
`/api/v1/auth/token` or an `X-API-Key`. Every error answers `{"error": {"code", "message",
"details"}}`; conversations outside your scope answer 404.
"""


def _install_web(app: FastAPI) -> None:
    import importlib.util

    if importlib.util.find_spec("jinja2") is None:  # pages need the optional 'web' extra; the API does not
        return
    from api.web import install

    install(app)


def create_app(settings: Settings | None = None, *, migrate: bool = False, embedded_worker: bool | None = None,
               services: Services | None = None) -> FastAPI:
    settings = settings or Settings()
    services = services or Services.from_settings(settings)
    if migrate:
        upgrade_to_head(services.engine)
    services.queue_registry = CollectorRegistry(auto_describe=False)
    services.queue_registry.register(QueueCollector(services.sessions))

    run_worker = settings.embedded_worker if embedded_worker is None else embedded_worker
    if settings.executor == "celery":  # jobs are published to the broker; Celery workers run them
        from api.executors import install

        install(services)
        run_worker = False

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        if run_worker:
            from api.worker import start_thread

            services.worker = start_thread(services)
        try:
            yield
        finally:
            if services.worker is not None:
                services.worker.stop()

    app = FastAPI(title="qa-engine service", version="1", description=DESCRIPTION, lifespan=lifespan,
                  openapi_tags=[{"name": "conversations", "description": "upload, status, results, audio"},
                                {"name": "auth", "description": "login and API keys"},
                                {"name": "operations", "description": "health, readiness, metrics"},
                                {"name": "review", "description": "review queue, sampling, verdicts, role swap"},
                                {"name": "appeals", "description": "agent appeals: team lead, QA, final judgement"},
                                {"name": "review statistics", "description": "rule precision, kappa, drift, backtest"}])
    app.state.services = services
    errors.install(app)
    api_prefix = "/api/v1"
    app.include_router(auth_routes.router, prefix=api_prefix)
    app.include_router(uploads.router, prefix=api_prefix)
    app.include_router(conversations.router, prefix=api_prefix)
    app.include_router(health.router)
    from api.review import register as register_review  # review, appeals, stats, PII masking

    register_review(app)
    _install_web(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next):  # noqa: ANN001, ANN202
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        response.headers["X-Request-ID"] = request_id
        log.info("%s %s %s", request.method, request.url.path, response.status_code,
                 extra={"request_id": request_id, "status": response.status_code, "route": path,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "actor": getattr(request.state, "actor", None)})
        return response

    return app
