"""What a worker does with each kind of job. Each handler is safe to run twice for one job.

* ``transcribe``: recording -> engine Conversation (Whisper), stored on the conversation, and a
  ``score`` job queued in the same transaction.
* ``score``: engine.score -> a Result row inserted with ON CONFLICT DO NOTHING on its identity
  (conversation, pack sha, scorecard sha, model version), job done, webhook queued — one commit.
* ``webhook``: POST the signed notification; a non-2xx answer raises, so the job is retried
  with backoff like any other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api import jobs
from api.db import is_postgres, utcnow
from api.jobs import Claimed, PermanentError
from api.models import Conversation, Result
from api.settings import Settings
from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.types import Conversation as EngineConversation

log = logging.getLogger("api.processing")

_engines: dict[tuple, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings) -> Engine:
    """One Engine per process and configuration: the pack is compiled and models loaded once."""
    key = (str(settings.rules), str(settings.scorecard), settings.analyzer_names)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            config = EngineConfig(rules=settings.rules, scorecard=settings.scorecard)
            if settings.analyzer_names is not None:
                config.analyzers = settings.analyzer_names
            engine = _engines[key] = Engine(config)
            for note in engine.skipped_analyzers:
                log.warning("analyzer skipped: %s", note)
        return engine


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Processor:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = get_engine(self.settings)
        return self._engine

    def handle(self, session: Session, job: Claimed, owner: str) -> None:
        handler = {"score": self._score, "transcribe": self._transcribe, "webhook": self._webhook}.get(job.kind)
        if handler is None:
            raise PermanentError(f"no handler for job kind {job.kind!r}")
        handler(session, job, owner)

    # ------------------------------------------------------------------------- score

    def _score(self, session: Session, job: Claimed, owner: str) -> None:
        conv = session.get(Conversation, job.conversation_id)
        if conv is None:
            raise PermanentError("conversation was deleted")
        if conv.payload is None:
            raise PermanentError("conversation has no transcript to score (transcription missing)")
        engine_conv = EngineConversation.model_validate(conv.payload)
        conv_id, callback_url = conv.id, conv.callback_url
        session.rollback()  # no transaction (and on SQLite no write lock) held while scoring
        engine_conv.id = conv_id  # results point at the service's id; the client's is external_id
        result = self.engine.score(engine_conv)
        data = json.loads(result.model_dump_json())
        # a job "variant" (review role swap) changes the input but not pack/models: new version
        variant = job.payload.get("variant")
        inserted = self._insert_result(session, conv_id, data, result, job.id, variant)
        jobs.complete(session, job, owner)
        jobs.set_conversation_status(session, conv_id, "scored")
        if inserted is not None:
            for url in sorted(filter(None, {callback_url, self.settings.webhook_url})):
                jobs.enqueue(session, conv_id, "webhook", {"url": url, "result_id": inserted})
        session.commit()

    def _insert_result(self, session: Session, conv_id: str, data: dict[str, Any], result,  # noqa: ANN001
                       job_id: int, variant: str | None = None) -> int | None:
        """Insert this scoring unless one with the same identity exists; return the new id."""
        next_version = (select(func.coalesce(func.max(Result.version), 0) + 1)
                        .where(Result.conversation_id == conv_id).scalar_subquery())
        values = dict(conversation_id=conv_id, version=next_version, pack_id=result.rule_pack.id,
                      pack_version=result.rule_pack.version, pack_sha=result.rule_pack.sha256,
                      scorecard_id=result.scorecard.id, scorecard_version=result.scorecard.version,
                      scorecard_sha=result.scorecard.sha256,
                      model_version=self.engine.model_version + (f"+{variant}" if variant else ""),
                      engine_version=result.engine_version, score=result.score, grade=result.grade,
                      veto=result.veto, passed=result.passed, needs_review=result.needs_review, result=data,
                      job_id=job_id, created_at=utcnow())
        insert = pg_insert if is_postgres(session) else sqlite_insert
        stmt = (insert(Result).values(**values)
                .on_conflict_do_nothing(index_elements=["conversation_id", "pack_sha", "scorecard_sha",
                                                        "model_version"])
                .returning(Result.id))
        return session.scalar(stmt)

    # ------------------------------------------------------------------------- transcribe

    def _transcribe(self, session: Session, job: Claimed, owner: str) -> None:
        conv = session.get(Conversation, job.conversation_id)
        if conv is None or not conv.audio_path:
            raise PermanentError("conversation has no recording to transcribe")
        path = self.settings.audio_path / conv.audio_path
        meta = dict(conv.metadata_ or {})
        session.rollback()  # nothing held during the (slow) recognition
        try:
            from qa_engine.audio import AudioError, AudioOptions, load_call
        except ImportError as exc:
            raise PermanentError(f"audio support is not installed ({exc})") from None
        options = AudioOptions(agent_channel=int(meta["agent_channel"])) if "agent_channel" in meta else None
        try:
            engine_conv = load_call(Path(path), options)
        except AudioError as exc:  # the file itself is bad: retrying cannot help
            raise PermanentError(f"the recording could not be decoded: {exc}") from None
        engine_conv.id = conv.id
        engine_conv.agent_id, engine_conv.team_id = conv.agent_id, conv.team_id
        engine_conv.customer_id, engine_conv.started_at = conv.customer_id, conv.started_at
        engine_conv.metadata = {**engine_conv.metadata, **meta}
        engine_conv.source = conv.audio_filename
        conv.payload = json.loads(engine_conv.model_dump_json())
        if jobs.complete(session, job, owner):
            jobs.enqueue(session, conv.id, "score")
        session.commit()

    # ------------------------------------------------------------------------- webhook

    def webhook_body(self, session: Session, result_id: int) -> bytes:
        row = session.get(Result, result_id)
        if row is None:
            raise PermanentError(f"result {result_id} no longer exists")
        conv = session.get(Conversation, row.conversation_id)
        body = {"event": "conversation.scored", "conversation_id": row.conversation_id,
                "external_id": conv.external_id if conv else None, "result_id": row.id,
                "version": row.version, "score": row.score, "grade": row.grade, "veto": row.veto,
                "passed": row.passed, "needs_review": row.needs_review,
                "rule_pack": {"id": row.pack_id, "version": row.pack_version, "sha256": row.pack_sha},
                "model_version": row.model_version, "scored_at": row.created_at.isoformat() + "Z",
                "href": f"/api/v1/conversations/{row.conversation_id}/results"}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _webhook(self, session: Session, job: Claimed, owner: str) -> None:
        body = self.webhook_body(session, int(job.payload["result_id"]))
        session.rollback()
        headers = {"Content-Type": "application/json", "X-QA-Event": "conversation.scored",
                   "X-QA-Delivery": str(job.id), "X-QA-Signature": sign(self.settings.webhook_key, body)}
        try:
            response = httpx.post(job.payload["url"], content=body, headers=headers,
                                  timeout=self.settings.webhook_timeout_seconds)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"webhook POST to {job.payload['url']} failed: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"webhook POST to {job.payload['url']} answered {response.status_code}")
        jobs.complete(session, job, owner)
        session.commit()
