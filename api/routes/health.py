"""Liveness, readiness and Prometheus metrics (no authentication: scraped by infrastructure)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.db import check_ready
from api.deps import get_services
from api.metrics import REGISTRY
from api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}},
            summary="Ready for traffic: database reachable and schema at the latest migration")
def readyz(request: Request) -> Response:
    ok, detail = check_ready(get_services(request).engine)
    body = Health(status="ok" if ok else "unavailable", detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    services = get_services(request)
    body = generate_latest(REGISTRY) + generate_latest(services.queue_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
