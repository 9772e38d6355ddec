"""Rule backtest: score past conversations with a draft rule pack, compare with what is stored.

The draft is validated with the engine's own loader, so errors name the file, rule and field.
It is written to a temporary folder that links to the active pack's folder entries, so its
relative ``lexicons:`` / ``dictionary:`` paths resolve exactly as they would once activated;
paths that leave that folder are refused (a draft must not read arbitrary server files).

Rules the draft removes but the active scorecard scores are dropped from a copy of the
scorecard (a warning says which): that is what scoring without the rule means — the engine
treats a rule with no status as not applicable. The analyzers are the running engine's, so
the comparison isolates the rule changes (plus any analyzer change since a result was stored).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.errors import ApiError
from api.models import Conversation, Result
from api.processing import get_engine
from api.review.privacy import mask_str
from api.review.service import latest_results_subquery
from api.settings import Settings
from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.rules.loader import PackErrors, load_pack
from qa_engine.scoring.scorecard import LoadedScorecard
from qa_engine.types import Conversation as EngineConversation


def _invalid(errors: list[dict[str, Any]]) -> ApiError:
    first = errors[0]
    where = ": ".join(str(x) for x in (first["file"], first.get("rule") and f"rule {first['rule']}",
                                       first.get("field")) if x)
    return ApiError(422, "invalid_rule_pack", f"{where}: {first['message']}"
                    + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""), details=errors)


def _check_paths(text: str, filename: str) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # the loader reports it with line and column
    if not isinstance(data, dict):
        return
    refs = [(f"lexicons.{k}", v) for k, v in (data.get("lexicons") or {}).items() if isinstance(v, str)] \
        if isinstance(data.get("lexicons"), dict) else []
    refs += [("dictionary", v) for v in (data.get("dictionary") or []) if isinstance(v, str)] \
        if isinstance(data.get("dictionary"), list) else []
    bad = [{"file": filename, "rule": None, "field": f, "message": f"path {v!r} must stay inside the rule folder"}
           for f, v in refs if PurePosixPath(v).is_absolute() or ".." in PurePosixPath(v).parts]
    if bad:
        raise _invalid(bad)


def build_draft(text: str, filename: str, settings: Settings):  # noqa: ANN201
    """(pack, engine, warnings); the engine is built while the links exist (it reads dictionaries)."""
    _check_paths(text, filename)
    active_dir = Path(settings.rules).resolve().parent
    with tempfile.TemporaryDirectory(prefix="qa-backtest-") as tmp:
        for entry in active_dir.iterdir():
            if entry.name != filename:
                (Path(tmp) / entry.name).symlink_to(entry)
        path = Path(tmp) / filename
        path.write_text(text, encoding="utf-8")
        try:
            pack = load_pack(path)
            engine, warnings = _engine_for(pack, settings)
        except PackErrors as exc:
            raise _invalid([{"file": filename, "rule": e.rule, "field": e.field, "message": e.message}
                            for e in exc.errors]) from None
        return pack, engine, warnings


def _engine_for(pack, settings: Settings) -> tuple[Engine, list[str]]:  # noqa: ANN001
    base = get_engine(settings)
    rule_ids = {r.id for r in pack.pack.rules}
    card = base.scorecard.scorecard
    dropped = sorted({i.rule for d in card.dimensions for i in d.items if i.rule not in rule_ids}
                     | {r for r in card.review.flag_rules if r not in rule_ids})
    warnings = []
    if dropped:
        dims = [d.model_copy(update={"items": [i for i in d.items if i.rule in rule_ids]}) for d in card.dimensions]
        review = card.review.model_copy(update={"flag_rules": {k: v for k, v in card.review.flag_rules.items()
                                                               if k in rule_ids}})
        card = card.model_copy(update={"dimensions": dims, "review": review})
        warnings.append(f"the draft has no rule(s) {', '.join(dropped)}; their scorecard items are left out")
    loaded = LoadedScorecard(scorecard=card, path=base.scorecard.path, sha256=base.scorecard.sha256)
    engine = Engine(EngineConfig(analyzers=()), pack=pack, scorecard=loaded)
    engine.analyzers = base.analyzers  # models are loaded once per process, not per backtest
    return engine, warnings


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    return {"score": data["score"], "grade": data["grade"], "veto": data["veto"],
            "flags": sorted({f["code"] for f in data.get("flags", [])}),
            "hits": dict(Counter(h["rule_id"] for h in data.get("hits", [])))}


def run(session: Session, principal: Principal, settings: Settings, *, text: str, filename: str,
        limit: int, team_id: str | None, agent_id: str | None, since, until) -> dict[str, Any]:  # noqa: ANN001
    pack, engine, warnings = build_draft(text, filename, settings)
    latest = latest_results_subquery().subquery()
    stmt = (select(Conversation, latest.c.id).join(latest, latest.c.conversation_id == Conversation.id)
            .where(Conversation.payload.is_not(None)))
    for column, value in ((Conversation.team_id, team_id), (Conversation.agent_id, agent_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(Conversation.created_at >= since)
    if until is not None:
        stmt = stmt.where(Conversation.created_at < until)
    rows = session.execute(principal.scope_conversations(stmt)
                           .order_by(Conversation.created_at.desc(), Conversation.id).limit(limit + 1)).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    convs, olds = [], []
    for conv, result_id in rows:
        if conv.payload is None:  # JSON null is not SQL NULL; a result implies a transcript anyway
            continue
        engine_conv = EngineConversation.model_validate(conv.payload)
        engine_conv.id = conv.id
        convs.append((conv, engine_conv))
        olds.append(session.get(Result, result_id))
    session.commit()  # nothing held while scoring
    new_results = engine.score_many([c for _, c in convs]) if convs else []

    items, per_rule = [], {}
    for (conv, _), old_row, new in zip(convs, olds, new_results, strict=True):
        old = _summary(old_row.result or {})
        fresh = _summary(json.loads(new.model_dump_json()))
        for rule_id in set(old["hits"]) | set(fresh["hits"]):
            stat = per_rule.setdefault(rule_id, {"rule_id": rule_id, "old_hits": 0, "new_hits": 0,
                                                 "old_conversations": 0, "new_conversations": 0})
            stat["old_hits"] += old["hits"].get(rule_id, 0)
            stat["new_hits"] += fresh["hits"].get(rule_id, 0)
            stat["old_conversations"] += rule_id in old["hits"]
            stat["new_conversations"] += rule_id in fresh["hits"]
        items.append({"conversation_id": conv.id, "external_id": mask_str(conv.external_id),
                      "agent_id": conv.agent_id, "team_id": conv.team_id, "old_result_version": old_row.version,
                      "old": old, "new": fresh, "score_delta": round(fresh["score"] - old["score"], 2),
                      "flags_added": sorted(set(fresh["flags"]) - set(old["flags"])),
                      "flags_removed": sorted(set(old["flags"]) - set(fresh["flags"]))})
    rules = sorted(({**s, "diff": s["new_hits"] - s["old_hits"]} for s in per_rule.values()),
                   key=lambda s: (-abs(s["diff"]), s["rule_id"]))
    changed = [i for i in items if i["score_delta"] or i["flags_added"] or i["flags_removed"]]
    info = pack.pack.pack
    return {"draft": {"id": info.id, "version": info.version, "sha256": pack.sha256, "rules": len(pack.pack.rules)},
            "warnings": warnings, "conversations": len(items), "truncated": truncated,
            "changed": len(changed),
            "mean_score_delta": round(sum(i["score_delta"] for i in items) / len(items), 2) if items else 0.0,
            "rules": rules, "items": items}
