"""Review workflow, appeals, statistics, backtest and response-wide PII masking (see docs/review.md).

``register(app)`` is the one entry point the application factory calls: it adds the routers,
the QA-assignment scope extension and the masking filters/middleware.
"""

from __future__ import annotations

from fastapi import FastAPI

API_PREFIX = "/api/v1"


def register(app: FastAPI) -> None:
    from api.review import models  # noqa: F401  (tables on api.db.Base)
    from api.review import privacy, routes_appeals, routes_review, routes_stats, service
    from api.review.settings import ReviewSettings

    if not hasattr(app.state, "review_settings"):
        app.state.review_settings = ReviewSettings()
    service.install_scope()
    privacy.install(app)
    for module in (routes_review, routes_appeals, routes_stats):
        app.include_router(module.router, prefix=API_PREFIX)
