"""Supervisor emotion report (HTML and PDF), KPI dashboard with skill radars, rules page."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal
from api.deps import get_services, get_session
from api.web import review_link
from api.web.data import visible_results
from api.web.render import page, templates
from api.web.session import PageError, page_principal
from qa_engine.kpi import compute_kpis, load_profile
from qa_engine.kpi.cli import DEFAULT_PROFILE
from qa_engine.kpi.metrics import METRICS
from qa_engine.kpi.period import PeriodError, parse_period
from qa_engine.privacy.mask import mask_text
from qa_engine.reports import emotion as emotion_report
from qa_engine.reports import svg
from qa_engine.reports.skills import skill_axes
from qa_engine.rules.loader import load_pack
from qa_engine.types import ScoreResult

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=8)
def _profile_at(path: str, mtime: float):  # noqa: ANN202
    return load_profile(path)


@lru_cache(maxsize=8)
def _pack_at(path: str, mtime: float):  # noqa: ANN202
    return load_pack(path)


def _cached(loader, path: Path):  # noqa: ANN001, ANN202
    # Parsing YAML + lexicons costs ~100 ms; keyed by mtime so an edited file is picked up.
    path = Path(path)
    return loader(str(path), path.stat().st_mtime)


def _masked_texts(value, principal: Principal):  # noqa: ANN001, ANN202
    """Mask the quoted snippets of a report instead of every transcript it was built from:
    the report shows a few dozen lines, the results hold thousands (10x cheaper). Reports are
    always masked: unmasking is a per-conversation, audited action on the conversation page."""
    if isinstance(value, dict):
        return {k: (mask_text(v) if isinstance(v, str) and k in ("text", "peak_text", "note") else _masked_texts(v, principal))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_texts(v, principal) for v in value]
    return value


TEAM_VIEW_ROLES = frozenset({"team_lead", "qa", "supervisor", "admin"})


def _period(label: str | None):
    config = _cached(_profile_at, DEFAULT_PROFILE)
    try:
        return config, parse_period(label, config.settings.tzinfo)
    except PeriodError as exc:
        raise PageError(422, "周期格式错误", str(exc)) from None


def _scoped(session: Session, principal: Principal, agent: str | None, team: str | None, period_label: str | None):
    if principal.role not in TEAM_VIEW_ROLES:
        raise PageError(403, "无权限", "情绪报告与看板仅对班组长、质检、主管和管理员开放。")
    config, period = _period(period_label)
    since = period.start.astimezone(timezone.utc).replace(tzinfo=None) if period.start else None
    until = period.end.astimezone(timezone.utc).replace(tzinfo=None) if period.end else None
    rows = visible_results(session, principal, agent_id=agent, team_id=team, since=since, until=until, limit=20000)
    return config, period, rows


def _emotion_context(request: Request, principal: Principal, session: Session, agent: str | None,
                     team: str | None, period: str | None) -> dict:
    _, p, rows = _scoped(session, principal, agent, team, period)
    results = [r.result for _, r in rows]  # masked below, snippet by snippet
    scope = f"坐席 {agent}" if agent else (f"班组 {team}" if team else "全部可见会话")
    report = emotion_report.build(results, scope=scope, period=p.label)
    for name in ("worst", "agents", "overdue"):
        setattr(report, name, _masked_texts(getattr(report, name), principal))
    trend = [svg.Point(i, t["index"], f"{t['day']} 指数 {t['index']}（{t['n']} 通）") for i, t in enumerate(report.trend)]
    ticks = [(i, t["day"][5:]) for i, t in enumerate(report.trend)][:: max(1, len(report.trend) // 8)]
    negative = [(a["agent_id"], a["negative_share"] * 100) for a in report.agents]
    return {"me": principal, "report": report, "agent": agent or "", "team": team or "", "period": period or "",
            "trend_svg": svg.line_chart(trend, y_label="情绪指数趋势", x_ticks=ticks, css_class="trend") if trend else "",
            "negative_svg": svg.bars(negative, maximum=max([30.0] + [v for _, v in negative]),
                                     target=report.target * 100, fmt="{:.1f}%") if negative else ""}


@router.get("/reports/emotion")
def emotion_page(request: Request, principal: Principal = Depends(page_principal),
                 session: Session = Depends(get_session), agent: str | None = Query(None, max_length=100),
                 team: str | None = Query(None, max_length=100), period: str | None = Query(None, max_length=60)):
    ctx = _emotion_context(request, principal, session, agent, team, period)
    return page(request, "emotion_report.html", {**ctx, "pdf": False})


@router.get("/reports/emotion.pdf")
def emotion_pdf(request: Request, principal: Principal = Depends(page_principal),
                session: Session = Depends(get_session), agent: str | None = Query(None, max_length=100),
                team: str | None = Query(None, max_length=100), period: str | None = Query(None, max_length=60)):
    from qa_engine.reports.pdf import PdfUnavailable, html_to_pdf

    ctx = _emotion_context(request, principal, session, agent, team, period)
    css = (Path(__file__).parent / "static" / "app.css").read_text(encoding="utf-8")
    html = templates.env.get_template("emotion_report.html").render(
        {**ctx, "pdf": True, "inline_css": css, "base_url": str(request.base_url).rstrip("/")})
    session.commit()
    try:
        data = html_to_pdf(html)
    except PdfUnavailable as exc:
        raise PageError(503, "PDF 暂不可用", str(exc)) from None
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="export",
                 target_type="emotion_report", target_id=(agent or team or "all")[:200],
                 detail={"period": period, "format": "pdf"}, ip=request.client.host if request.client else None)
    session.commit()
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="emotion-report.pdf"'})


@router.get("/dashboard")
def dashboard(request: Request, principal: Principal = Depends(page_principal), session: Session = Depends(get_session),
              team: str | None = Query(None, max_length=100), period: str | None = Query(None, max_length=60)):
    config, p, rows = _scoped(session, principal, None, team, period)
    # KPI maths reads header, scores, hits and analysis only: drop the transcript before validating
    results = [ScoreResult.model_validate({**r.result, "utterances": []}) for _, r in rows]
    report = compute_kpis(results, config, p)
    profile = config.profiles[config.default_profile]
    overall = []
    for spec in profile.kpis:
        kv = report.overall.kpis.get(spec.id)
        if kv is None:
            continue
        overall.append({"id": spec.id, "name": spec.name or METRICS[spec.id].name, "unit": METRICS[spec.id].unit,
                        "value": kv.value, "target": kv.target, "alert_at": spec.alert, "alert": kv.alert,
                        "band": kv.band_score, "direction": METRICS[spec.id].direction})
    agents = [{"e": a, "radar": svg.radar(skill_axes(a), size=240)} for a in report.agents]
    return page(request, "dashboard.html", {"me": principal, "report": report, "overall": overall, "agents": agents,
                                            "team": team or "", "period": period or "", "profile": profile})


@router.get("/rules")
def rules_page(request: Request, principal: Principal = Depends(page_principal), session: Session = Depends(get_session)):
    settings = get_services(request).settings
    loaded = _cached(_pack_at, settings.rules)
    hits: Counter[str] = Counter()
    convs: Counter[str] = Counter()
    rows = visible_results(session, principal, limit=20000)
    for _, r in rows:
        seen = set()
        for h in r.result.get("hits") or []:
            hits[h["rule_id"]] += 1
            seen.add(h["rule_id"])
        convs.update(seen)
    precision = review_link.precision(session, principal, request.app)
    rules = [{"rule": rule, "hits": hits.get(rule.id, 0), "conversations": convs.get(rule.id, 0),
              "share": convs.get(rule.id, 0) / len(rows) if rows else None, "precision": precision.get(rule.id)}
             for rule in loaded.pack.rules]
    return page(request, "rules.html", {"me": principal, "pack": loaded.pack, "sha": loaded.sha256, "rules": rules,
                                        "n": len(rows), "review_enabled": review_link.available(request.app),
                                        "may_backtest": principal.role in review_link.BACKTEST_ROLES,
                                        "generated": datetime.now(timezone.utc)})


@router.get("/dashboard.xlsx")
def dashboard_xlsx(request: Request, principal: Principal = Depends(page_principal),
                   session: Session = Depends(get_session), team: str | None = Query(None, max_length=100),
                   period: str | None = Query(None, max_length=60)):
    """The KPI workbook of what the dashboard shows, with weekly trend charts (audited export)."""
    import tempfile

    from qa_engine.kpi import write_xlsx
    from qa_engine.kpi.charts import weekly_periods

    config, p, rows = _scoped(session, principal, None, team, period)
    results = [ScoreResult.model_validate({**r.result, "utterances": []}) for _, r in rows]
    report = compute_kpis(results, config, p)
    starts = [r.started_at for r in results if r.started_at is not None]
    weekly = [compute_kpis(results, config, w) for w in weekly_periods(p, starts)]
    session.commit()
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="export",
                 target_type="kpi_workbook", target_id=(team or "all")[:200], detail={"period": period},
                 ip=request.client.host if request.client else None)
    session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        data = write_xlsx(report, config, Path(tmp) / "kpi.xlsx", weekly=weekly).read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="kpi.xlsx"'})
