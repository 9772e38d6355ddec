"""PII masking in every response, ``?unmask=true`` for principals with ``can_unmask``, audited.

Results and metadata rendered by the core routes pass through ``api.views.RESULT_FILTERS`` /
``METADATA_FILTERS``; we plug the masking in there, so the core handlers need no change. Those
filters only see (data, principal), not the request, so a middleware puts the request's unmask
wish in a context variable (a mutable holder: FastAPI runs sync handlers in a thread with a copy
of the context, and the copy shares the holder). What was disclosed unmasked is collected in the
holder and written to the audit log by the middleware *before* the response leaves: if the
audit write fails, the client gets an error, not the unmasked data.

Review routes call :func:`mask_result_for` / :func:`mask_str` directly and audit in their own
transaction.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request

from api import audit
from api.auth import Principal
from api.errors import ApiError
from api.views import METADATA_FILTERS, RESULT_FILTERS
from qa_engine.privacy import mask_result, mask_text

log = logging.getLogger("api.review.privacy")
TRUE_VALUES = frozenset({"true", "1", "yes"})


@dataclass
class UnmaskState:
    requested: bool = False
    disclosed: list[str] = field(default_factory=list)  # conversation ids shown unmasked
    user_id: int | None = None


_state: contextvars.ContextVar[UnmaskState | None] = contextvars.ContextVar("qa_unmask", default=None)


def forbid_unmask(principal: Principal) -> ApiError:
    return ApiError(403, "forbidden", f"'{principal.actor}' lacks the unmask permission; PII stays masked "
                                      "(ask an admin to grant can_unmask, or drop ?unmask=true)")


def _wants_unmask(principal: Principal) -> bool:
    state = _state.get()
    if state is None or not state.requested:
        return False
    if not principal.can_unmask:
        raise forbid_unmask(principal)
    state.user_id = principal.user_id
    return True


def _result_filter(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    if _wants_unmask(principal):
        _state.get().disclosed.append(str(data.get("conversation_id")))
        return data
    return mask_result(data)


def _metadata_filter(metadata: dict[str, Any], principal: Principal) -> dict[str, Any]:
    if _wants_unmask(principal):
        return metadata
    return mask_result({"metadata": metadata})["metadata"]


def mask_result_for(data: dict[str, Any], principal: Principal, unmask: bool) -> dict[str, Any]:
    if unmask:
        if not principal.can_unmask:
            raise forbid_unmask(principal)
        return data
    return mask_result(data)


def mask_str(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def mask_json(value: Any) -> Any:
    """Any JSON value (trail old/new, comments inside) with PII masked at every depth."""
    return mask_result({"value": value})["value"]


def install(app: FastAPI) -> None:
    # Module-level lists: several apps in one process (tests) must not stack the filters.
    if _result_filter not in RESULT_FILTERS:
        RESULT_FILTERS.append(_result_filter)
    if _metadata_filter not in METADATA_FILTERS:
        METADATA_FILTERS.append(_metadata_filter)

    @app.middleware("http")
    async def unmask_audit(request: Request, call_next):  # noqa: ANN001, ANN202
        if request.query_params.get("unmask", "").lower() not in TRUE_VALUES:
            return await call_next(request)
        state = UnmaskState(requested=True)
        token = _state.set(state)
        try:
            response = await call_next(request)
        finally:
            _state.reset(token)
        if state.disclosed and response.status_code < 400:
            services = request.app.state.services
            with services.sessions() as session:
                for conversation_id in sorted(set(state.disclosed)):
                    audit.record(session, actor=getattr(request.state, "actor", "?"), action="unmask",
                                 user_id=state.user_id, target_type="conversation", target_id=conversation_id,
                                 detail={"path": request.url.path},
                                 ip=request.client.host if request.client else None)
                session.commit()
        return response
