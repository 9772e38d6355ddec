"""Uploads: chats (JSON / JSON Lines / CSV, one or many) and call recordings (multipart).

All-or-nothing per request: if any record is invalid, nothing is stored and the 422 lists every
problem with file, record (line/row) and field, so the client fixes the file and resends it.
Conversations and their jobs are committed in one transaction: accepted means durable.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from api import jobs
from api.auth import WRITE_ROLES, Principal, get_principal
from api.db import naive_utc, utcnow
from api.deps import Services, get_services
from api.errors import ApiError, error_responses
from api.models import Conversation, Upload, new_uuid
from api.schemas import AcceptedConversation, UploadAccepted
from api.upload import parse_multipart, save_body
from qa_engine.ingest import IngestError, audio_extensions, read_path
from qa_engine.types import Conversation as EngineConversation

router = APIRouter(prefix="/conversations", tags=["conversations"])

CHAT_MEDIA_TYPES = {"application/json": ".json", "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl",
                    "application/x-jsonlines": ".jsonl", "application/ndjson": ".jsonl", "text/csv": ".csv",
                    "application/csv": ".csv"}
CHAT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")

COMMON_ERRORS = error_responses(400, 401, 403, 409, 413, 415, 422)
IDEMPOTENCY_DOC = ("Client-chosen key (printable ASCII, up to 200 characters). A retry with the same key and "
                   "the same content returns the same conversation ids instead of creating duplicates.")
CALLBACK_DOC = "URL to POST a signed notification to when each conversation is scored"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _scoped_key(principal: Principal, key: str | None) -> str | None:
    if key is None:
        return None
    if not _KEY_RE.match(key):
        raise ApiError(400, "bad_request", "Idempotency-Key must be 1-200 printable ASCII characters without spaces")
    return f"{principal.actor}:{key}"


def _check_callback(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    if not re.match(r"^https?://[^\s/]+", url) or len(url) > 2000:
        raise ApiError(422, "invalid_input", f"callback_url {url[:100]!r} must be an http:// or https:// URL")
    return url


def _accepted(upload: Upload, rows: list[Conversation], replayed: bool) -> UploadAccepted:
    return UploadAccepted(upload_id=upload.id, replayed=replayed, conversations=[
        AcceptedConversation(id=r.id, external_id=r.external_id, channel=r.channel, status=r.status) for r in rows])


def _replay(session, upload: Upload, request_sha: str) -> UploadAccepted:  # noqa: ANN001
    if upload.request_sha256 != request_sha:
        raise ApiError(409, "conflict", "this Idempotency-Key was already used for a different upload; "
                                        "use a new key for new content")
    rows = session.scalars(select(Conversation).where(Conversation.upload_id == upload.id)).all()
    order = {cid: i for i, cid in enumerate(upload.conversation_ids)}
    return _accepted(upload, sorted(rows, key=lambda r: order.get(r.id, 0)), replayed=True)


def _store(services: Services, principal: Principal, key: str | None, request_sha: str,
           build: list[dict[str, Any]], first_job: str, audio_file: Path | None = None) -> UploadAccepted:
    """Insert upload + conversations + jobs in one transaction, or answer a replay."""
    with services.sessions() as session:
        if key is not None:
            existing = session.scalar(select(Upload).where(Upload.idempotency_key == key))
            if existing is not None:
                if audio_file is not None:
                    audio_file.unlink(missing_ok=True)  # the retry's copy; the first one is kept
                return _replay(session, existing, request_sha)
        upload = Upload(idempotency_key=key, request_sha256=request_sha, created_by=principal.user_id)
        session.add(upload)
        session.flush()
        rows = []
        for fields in build:
            row = Conversation(status="queued", upload_id=upload.id, created_by=principal.user_id, **fields)
            session.add(row)
            rows.append(row)
        session.flush()
        for row in rows:
            jobs.enqueue(session, row.id, first_job)
        upload.conversation_ids = [r.id for r in rows]
        try:
            session.commit()
        except IntegrityError:
            # A concurrent request with the same key won the race: answer with its result.
            session.rollback()
            existing = session.scalar(select(Upload).where(Upload.idempotency_key == key)) if key else None
            if existing is None:
                raise
            if audio_file is not None:
                audio_file.unlink(missing_ok=True)
            return _replay(session, existing, request_sha)
        return _accepted(upload, rows, replayed=False)


def _check_teams(principal: Principal, team_ids: set[str | None]) -> None:
    bad = sorted(str(t) for t in team_ids if not principal.may_write_team(t))
    if bad:
        mine = ", ".join(sorted(principal.team_ids)) or "none"
        raise ApiError(403, "forbidden", f"you may only upload conversations of your teams ({mine}); "
                                         f"this upload has team_id {', '.join(bad)}")


def _require_writer(principal: Principal) -> None:
    principal.require_scope("conversations:write")
    principal.require_role(WRITE_ROLES, "upload conversations")


# ----------------------------------------------------------------------------- chats


def _read_chats(path: Path, display: str) -> list[EngineConversation]:
    conversations, problems = [], []
    prefix = str(path)
    for item in read_path(path):
        if isinstance(item, IngestError):
            problems.append({"file": display, "record": item.record, "field": item.field, "message": item.message})
        else:
            if item.source and item.source.startswith(prefix):
                item.source = display + item.source[len(prefix):]
            conversations.append(item)
    if problems:
        first = problems[0]
        where = ":".join(x for x in (first["file"], first["record"], first["field"]) if x)
        raise ApiError(422, "invalid_input", f"{len(problems)} problem(s) in {display}, first: {where}: "
                                             f"{first['message']}; nothing was stored, fix and resend",
                       details=problems[:1000])
    if not conversations:
        raise ApiError(422, "invalid_input", f"no conversations found in {display}")
    return conversations


def _accept_chats(services: Services, principal: Principal, path: Path, display: str, request_sha: str,
                  key: str | None, callback_url: str | None) -> UploadAccepted:
    if key is not None:  # a retry is answered without re-parsing the upload
        with services.sessions() as session:
            existing = session.scalar(select(Upload).where(Upload.idempotency_key == key))
            if existing is not None:
                return _replay(session, existing, request_sha)
    conversations = _read_chats(path, display)
    _check_teams(principal, {c.team_id for c in conversations})
    build = [dict(external_id=c.id, channel=c.channel.value, agent_id=c.agent_id, team_id=c.team_id,
                  customer_id=c.customer_id, started_at=naive_utc(c.started_at),
                  payload=json.loads(c.model_dump_json()), metadata_=c.metadata, callback_url=callback_url)
             for c in conversations]
    return _store(services, principal, key, request_sha, build, "score")


CHAT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"description": "one conversation object, a list of them, or "
                                                   "{\"conversations\": [...]}; see docs/service.md",
                                    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}},
    "application/x-ndjson": {"schema": {"type": "string", "description": "JSON Lines, one conversation per line"}},
    "text/csv": {"schema": {"type": "string", "description": "one row per message (see docs/service.md)"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": ".json, .jsonl, .ndjson or .csv"},
        "callback_url": {"type": "string"}}}},
}}}


@router.post("/chat", status_code=202, response_model=UploadAccepted, responses=COMMON_ERRORS,
             openapi_extra=CHAT_BODY, summary="Upload chats (or transcribed calls) for scoring")
async def upload_chat(request: Request, principal: Principal = Depends(get_principal),
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC),
                      callback_url: str | None = Query(None, description=CALLBACK_DOC)) -> UploadAccepted:
    _require_writer(principal)
    key = _scoped_key(principal, idempotency_key)
    services = get_services(request)
    settings = services.settings
    media = _media_type(request)
    tmp_root = settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        if media == "multipart/form-data":
            def target(field: str, filename: str) -> Path:
                suffix = Path(filename).suffix.lower()
                if field != "file":
                    raise ApiError(422, "invalid_input", f"unexpected file field '{field}'; send the file as 'file'")
                if suffix not in CHAT_SUFFIXES:
                    raise ApiError(415, "unsupported_media_type", f"{filename}: unsupported file type; "
                                                                  f"send {', '.join(CHAT_SUFFIXES)}")
                return Path(tmp) / (re.sub(r"[^\w.\-]", "_", Path(filename).stem)[:100] + suffix)

            form = await parse_multipart(request, settings.max_upload_bytes, target)
            part = form.files.get("file")
            if part is None:
                raise ApiError(422, "invalid_input", "no file: send the chats as a form field named 'file'")
            path, display, size, sha = part.path, part.filename, part.size, part.sha256
            callback_url = callback_url or form.fields.get("callback_url")
        elif media in CHAT_MEDIA_TYPES:
            path = Path(tmp) / ("request" + CHAT_MEDIA_TYPES[media])
            size, sha = await save_body(request, path, settings.max_upload_bytes)
            display = "request body"
        else:
            raise ApiError(415, "unsupported_media_type",
                           f"Content-Type {media or '(none)'!r} is not accepted here; send application/json, "
                           "application/x-ndjson, text/csv, or multipart/form-data with a 'file'")
        if size == 0:
            raise ApiError(422, "invalid_input", f"{display} is empty; send at least one conversation")
        callback_url = _check_callback(callback_url)
        return await run_in_threadpool(_accept_chats, services, principal, path, display, sha, key, callback_url)


# ----------------------------------------------------------------------------- calls


class CallMetadata(BaseModel):
    """The 'metadata' form field of a call upload; unknown keys go into the conversation metadata."""

    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=200, description="your id for the call")
    agent_id: str | None = Field(default=None, max_length=100)
    team_id: str | None = Field(default=None, max_length=100)
    customer_id: str | None = Field(default=None, max_length=100)
    started_at: datetime | None = None
    agent_channel: int | None = Field(default=None, ge=0, le=1, description="stereo channel of the agent")
    metadata: dict[str, Any] = {}


def _parse_call_metadata(text: str | None) -> CallMetadata:
    if not text:
        return CallMetadata()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(422, "invalid_input", f"metadata: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                             f"{exc.msg})", details=[{"field": "metadata", "message": exc.msg}]) from None
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_input", "metadata: must be a JSON object {...}")
    try:
        return CallMetadata.model_validate(raw)
    except ValidationError as exc:
        details = [{"field": "metadata." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                   for e in exc.errors()]
        raise ApiError(422, "invalid_input", f"metadata: {details[0]['field']}: {details[0]['message']}",
                       details=details) from None


CALL_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the recording (wav, mp3, m4a, amr, ...)"},
        "metadata": {"type": "string", "description": "JSON object: id, agent_id, team_id, customer_id, "
                                                      "started_at, agent_channel, metadata"},
        "callback_url": {"type": "string"}}}}}}}


@router.post("/call", status_code=202, response_model=UploadAccepted, responses=COMMON_ERRORS,
             openapi_extra=CALL_BODY, summary="Upload one call recording (multipart) for transcription and scoring")
async def upload_call(request: Request, principal: Principal = Depends(get_principal),
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC),
                      callback_url: str | None = Query(None, description=CALLBACK_DOC)) -> UploadAccepted:
    _require_writer(principal)
    key = _scoped_key(principal, idempotency_key)
    services = get_services(request)
    settings = services.settings
    if _media_type(request) != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data with the recording in 'file' and "
                                                      "optional 'metadata' (JSON), e.g. curl -F file=@call.wav")
    conv_id = new_uuid()
    relative: list[Path] = []

    def target(field: str, filename: str) -> Path:
        suffix = Path(filename).suffix.lower()
        if field != "file":
            raise ApiError(422, "invalid_input", f"unexpected file field '{field}'; send the recording as 'file'")
        if suffix not in audio_extensions():
            raise ApiError(415, "unsupported_media_type", f"{filename}: not a supported audio type; send one of "
                                                          f"{', '.join(sorted(audio_extensions()))}")
        rel = Path(f"{utcnow():%Y/%m}") / f"{conv_id}{suffix}"
        (settings.audio_path / rel).parent.mkdir(parents=True, exist_ok=True)
        relative.append(rel)
        return settings.audio_path / rel

    form = await parse_multipart(request, settings.max_upload_bytes, target)
    part = form.files.get("file")
    try:
        if part is None:
            raise ApiError(422, "invalid_input", "no recording: send the audio file as a form field named 'file'")
        if part.size == 0:
            raise ApiError(422, "invalid_input", f"{part.filename} is empty (0 bytes)")
        meta = _parse_call_metadata(form.fields.get("metadata"))
        callback = _check_callback(callback_url or form.fields.get("callback_url"))
        _check_teams(principal, {meta.team_id})
        extra = {k: v for k, v in (meta.model_extra or {}).items()}
        metadata = {**extra, **meta.metadata}
        if meta.agent_channel is not None:
            metadata["agent_channel"] = meta.agent_channel
        request_sha = hashlib.sha256((part.sha256 + (form.fields.get("metadata") or "")).encode()).hexdigest()
        build = [dict(id=conv_id, external_id=meta.id or Path(part.filename).stem, channel="call",
                      agent_id=meta.agent_id, team_id=meta.team_id, customer_id=meta.customer_id,
                      started_at=naive_utc(meta.started_at), metadata_=metadata, audio_path=relative[0].as_posix(),
                      audio_filename=part.filename, audio_bytes=part.size, callback_url=callback)]
        return await run_in_threadpool(_store, services, principal, key, request_sha, build, "transcribe", part.path)
    except BaseException:
        if part is not None:
            part.path.unlink(missing_ok=True)
        raise
