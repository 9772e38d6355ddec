"""``qa-engine batch DIR --executor celery``: bulk backfill through the service.

Each input file becomes one upload in the service's database (the same rows the API writes:
upload, conversations, their first job), and the job ids go to the broker after the commit,
where any number of Celery workers on any number of machines pick them up. Then (unless
``--no-wait``) it follows the conversations until each is scored or failed and summarises.

Resumable: a file's upload carries the idempotency key ``batch:<sha256 of the file>``, so running
the same folder again finds the uploads already made (nothing is inserted twice), and counts
what is already scored; only what is still pending is waited for. Unlike the API (all or
nothing per request), a file with some invalid records keeps its valid ones, like
``qa-engine score``; the invalid ones are listed in the summary.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import click
from sqlalchemy import select

from api import jobs
from api.db import naive_utc, upgrade_to_head, utcnow
from api.models import Conversation, Upload, new_uuid

POLL_SECONDS = 0.5


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows_for(path: Path, settings, errors: list[str]) -> tuple[list[dict], str]:  # noqa: ANN001
    """Conversation rows (as the upload routes build them) and the first job kind."""
    from qa_engine.ingest import IngestError, audio_extensions, read_path

    if path.suffix.lower() in audio_extensions():
        conv_id = new_uuid()
        relative = Path(f"{utcnow():%Y/%m}") / f"{conv_id}{path.suffix.lower()}"
        target = settings.audio_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)  # the transcription worker may be another machine: shared storage
        return [dict(id=conv_id, external_id=path.stem, channel="call", metadata_={}, audio_path=relative.as_posix(),
                     audio_filename=path.name, audio_bytes=path.stat().st_size)], "transcribe"
    rows = []
    for item in read_path(path):
        if isinstance(item, IngestError):
            errors.append(str(item))
            continue
        rows.append(dict(external_id=item.id, channel=item.channel.value, agent_id=item.agent_id, team_id=item.team_id,
                         customer_id=item.customer_id, started_at=naive_utc(item.started_at),
                         payload=json.loads(item.model_dump_json()), metadata_=item.metadata))
    return rows, "score"


def submit_file(services, path: Path, errors: list[str]) -> tuple[list[str], bool]:  # noqa: ANN001
    """Store one file as an upload (or find the one stored before); returns (ids, replayed)."""
    sha = _sha256(path)
    key = f"batch:{sha}"
    with services.sessions() as session:
        existing = session.scalar(select(Upload).where(Upload.idempotency_key == key))
        if existing is not None:
            return list(existing.conversation_ids), True
        rows, first_job = _rows_for(path, services.settings, errors)
        if not rows:
            return [], False
        upload = Upload(idempotency_key=key, request_sha256=sha, created_by=None)
        session.add(upload)
        session.flush()
        convs = [Conversation(status="queued", upload_id=upload.id, created_by=None, **fields) for fields in rows]
        session.add_all(convs)
        session.flush()
        for conv in convs:
            jobs.enqueue(session, conv.id, first_job)
        upload.conversation_ids = [c.id for c in convs]
        session.commit()  # the publish hook sends the job ids to the broker now
        return upload.conversation_ids, False


def follow(services, ids: list[str], progress: bool) -> dict[str, tuple[str, str | None, str | None]]:  # noqa: ANN001
    """Wait until every conversation is scored or failed; id -> (status, error, external id)."""
    final: dict[str, tuple[str, str | None, str | None]] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(ids), unit="conv", file=sys.stderr, dynamic_ncols=True)
    pending = list(ids)
    while pending:
        still = []
        with services.read_sessions() as session:
            for i in range(0, len(pending), 500):
                chunk = pending[i:i + 500]
                rows = session.execute(select(Conversation.id, Conversation.status, Conversation.error,
                                              Conversation.external_id).where(Conversation.id.in_(chunk))).all()
                seen = {r.id: r for r in rows}
                for cid in chunk:
                    row = seen.get(cid)
                    if row is None:
                        final[cid] = ("failed", "conversation was deleted", None)
                    elif row.status in ("scored", "failed"):
                        final[cid] = (row.status, row.error, row.external_id)
                    else:
                        still.append(cid)
        if bar is not None:
            bar.update(len(pending) - len(still))
        pending = still
        if pending:
            time.sleep(POLL_SECONDS)
    if bar is not None:
        bar.close()
    return final


def run_celery_backfill(path: Path, options: dict) -> int:
    from api.deps import Services
    from api.executors.publish import install_publisher
    from api.settings import Settings
    from qa_engine.runner import ScoreRun

    settings = Settings()
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    install_publisher(services)  # whatever QA_EXECUTOR says: this command chose the broker
    inputs = ScoreRun.inputs(path, options.get("exclude", ()))
    if not inputs:
        click.echo(f"error: no conversation files (.json, .jsonl, .csv, audio) under {path}", err=True)
        return 2
    started = time.perf_counter()
    errors: list[str] = []
    ids: list[str] = []
    replayed = 0
    for file in inputs:
        file_ids, again = submit_file(services, file, errors)
        ids.extend(file_ids)
        replayed += again
    click.echo(f"batch: submitted {len(inputs)} files ({replayed} already submitted by an earlier run), "
               f"{len(ids)} conversations, to {settings.broker_url}", err=True)
    for error in errors:
        click.echo(f"record failed: {error}", err=True)
    if not options.get("wait", True):
        return 1 if errors else 0
    final = follow(services, ids, options.get("progress", False))
    seconds = time.perf_counter() - started
    scored = sum(1 for status, _, _ in final.values() if status == "scored")
    failed = {cid: (ext, err) for cid, (status, err, ext) in final.items() if status == "failed"}
    click.echo(f"batch: {len(final)} conversations: {scored} scored, {len(failed)} failed, {len(errors)} records "
               f"could not be read; {seconds:.1f}s ({scored / seconds if seconds else 0:.1f} conversations/s)",
               err=True)
    for cid, (ext, err) in sorted(failed.items()):
        click.echo(f"failed: {cid} ({ext}): {err}", err=True)
    if options.get("summary_json") is not None:
        data = {"files": len(inputs), "replayed_files": replayed, "conversations": len(final), "scored": scored,
                "failed": {cid: err for cid, (_, err) in failed.items()}, "record_errors": errors,
                "seconds": round(seconds, 3)}
        options["summary_json"].write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    services.engine.dispose()
    return 1 if failed or errors else 0
