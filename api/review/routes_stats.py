"""Statistics (precision, agreement, drift) with masked CSV/JSON export, and the rule backtest."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, get_principal
from api.db import naive_utc
from api.deps import get_services, get_session
from api.errors import ApiError, error_responses
from api.review import backtest, service, stats
from api.review.privacy import mask_str
from api.review.schemas import BacktestIn, has_nul

router = APIRouter(tags=["review statistics"], dependencies=[Depends(service.key_scope)])
STATS_ROLES = frozenset({"qa", "team_lead", "supervisor", "admin"})
# JSON by default; ?format=csv downloads CSV
STAT_RESPONSES = {**error_responses(401, 403), 200: {"content": {"application/json": {}, "text/csv": {}}}}


class StatFilters:
    def __init__(self, team_id: str | None = Query(None, max_length=100),
                 date_from: datetime | None = Query(None, description="verdict time, ISO date-time"),
                 date_to: datetime | None = Query(None, description="exclusive"),
                 format: Literal["json", "csv"] | None = Query(None, description="csv or json: a download, audited")) -> None:  # noqa: A002
        if has_nul(team_id):
            raise ApiError(422, "invalid_request", "query parameters must not contain NUL (%00) characters")
        self.team_id, self.since, self.until = team_id, naive_utc(date_from), naive_utc(date_to)
        self.format = format


def _download(request: Request, session: Session, principal: Principal, name: str, rows: list[dict],
              fmt: str) -> Response:
    rows = [{k: mask_str(v) for k, v in r.items()} for r in rows]  # reviewer names, rule ids: no PII, but exports are always masked
    session.commit()
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="export", target_type="stats",
                 target_id=name, detail={"format": fmt, "rows": len(rows)},
                 ip=request.client.host if request.client else None)
    session.commit()
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False, default=str), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in r.items()})
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/review/stats/precision", responses=STAT_RESPONSES,
            summary="Per-rule precision from verdicts: confirmed / (confirmed + rejected), Wilson 95 % interval")
def precision(request: Request, f: StatFilters = Depends(), principal: Principal = Depends(get_principal),
              session: Session = Depends(get_session)):  # noqa: ANN201
    principal.require_role(STATS_ROLES, "see review statistics")
    rows = stats.precision(session, principal, f.team_id, f.since, f.until)
    if f.format:
        return _download(request, session, principal, "rule-precision", rows, f.format)
    return {"rules": rows}


@router.get("/review/stats/agreement", responses=STAT_RESPONSES,
            summary="Inter-reviewer agreement on blind double reviews: Cohen's kappa per pair and overall")
def agreement(request: Request, f: StatFilters = Depends(), principal: Principal = Depends(get_principal),
              session: Session = Depends(get_session)):  # noqa: ANN201
    principal.require_role(STATS_ROLES, "see review statistics")
    out = stats.agreement(session, principal, f.team_id, f.since, f.until)
    if f.format:
        return _download(request, session, principal, "reviewer-agreement",
                         out["pairs"] + [{"first_reviewer": "*", "second_reviewer": "*", **out["overall"]}], f.format)
    return out


@router.get("/review/stats/drift", responses=STAT_RESPONSES,
            summary="Each reviewer's confirm rate per ISO week next to everyone else's")
def drift(request: Request, f: StatFilters = Depends(), principal: Principal = Depends(get_principal),
          session: Session = Depends(get_session)):  # noqa: ANN201
    principal.require_role(STATS_ROLES, "see review statistics")
    rows = stats.drift(session, principal, f.team_id, f.since, f.until, request.app.state.review_settings.timezone)
    if f.format:
        return _download(request, session, principal, "reviewer-drift", rows, f.format)
    return {"weeks": rows}


@router.post("/rules/backtest", responses=error_responses(401, 403, 413),
             summary="Score past conversations in your scope with a draft rule pack; old vs new per conversation and rule")
def run_backtest(request: Request, body: BacktestIn, principal: Principal = Depends(get_principal),
                 session: Session = Depends(get_session)) -> dict:
    principal.require_role(service.REVIEWER_ROLES, "backtest rule packs")
    cap = request.app.state.review_settings.backtest_max_conversations
    if body.limit > cap:
        raise ApiError(413, "too_large", f"limit {body.limit} is above the synchronous backtest cap of {cap} "
                                         "(QA_REVIEW_BACKTEST_MAX_CONVERSATIONS); narrow the filters or raise the cap")
    out = backtest.run(session, principal, get_services(request).settings, text=body.pack_yaml,
                       filename=body.filename, limit=body.limit, team_id=body.team_id, agent_id=body.agent_id,
                       since=naive_utc(body.created_from), until=naive_utc(body.created_to))
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="backtest", target_type="rule_pack",
                 target_id=out["draft"]["sha256"][:16], detail={"conversations": out["conversations"],
                                                                "changed": out["changed"]})
    session.commit()
    return out
