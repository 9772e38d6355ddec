"""The Jinja2 environment of the pages (autoescaped) and its filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.web.data import SEVERITY_CN, STAGE_CN, TREND_CN

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
SHANGHAI = timezone(timedelta(hours=8))  # the call centre's clock; shown times are local
ROLE_CN = {"agent": "坐席", "team_lead": "班组长", "qa": "质检员", "supervisor": "主管", "admin": "管理员"}


def clock(seconds: Any) -> str:
    if seconds is None or seconds == "":
        return ""
    s = int(float(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def pct(value: Any, digits: int = 1) -> str:
    return "N/A" if value is None else f"{value * 100:.{digits}f}%"


def local(moment: Any, fmt: str = "%m-%d %H:%M") -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).strftime(fmt)


def num(value: Any, digits: int = 1) -> str:
    return "N/A" if value is None else f"{value:.{digits}f}"


env = templates.env
env.filters.update(clock=clock, pct=pct, local=local, num=num, safe_svg=lambda s: Markup(s or ""))
env.globals.update(SEVERITY_CN=SEVERITY_CN, STAGE_CN=STAGE_CN, TREND_CN=TREND_CN, ROLE_CN=ROLE_CN)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200):
    return templates.TemplateResponse(request, name, context, status_code=status)
