"""The engine: analyzers -> rules -> scorecard, for one conversation or many.

One ``Engine`` is built per process (it compiles the rule pack and loads models once) and then
scores any number of conversations; the CLI, the API workers and distributed workers all use it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from qa_engine import __version__
from qa_engine.analyzers.base import Analyzer, create
from qa_engine.rules.engine import RuleEngine
from qa_engine.rules.loader import LoadedPack, load_pack
from qa_engine.scoring.scorecard import LoadedScorecard, check_against_pack, load_scorecard
from qa_engine.scoring.scorer import score
from qa_engine.types import Conversation, PackRef, ScoreResult

RULES_DIR = Path(os.environ.get("QA_RULES_DIR", Path(__file__).resolve().parent.parent / "rules"))
DEFAULT_PACK = RULES_DIR / "default.yaml"
DEFAULT_SCORECARD = RULES_DIR / "scorecards" / "default.yaml"

# analyzer name -> module that registers it; imported only when the analyzer is asked for, so
# the core engine runs without the audio or model dependencies installed
ANALYZER_MODULES = {
    "chat_timing": "qa_engine.analyzers.timing",
    "turn_taking": "qa_engine.analyzers.timing",
    "emotion": "qa_engine.emotion.analyzer",
    "acoustics": "qa_engine.audio.acoustics",
}
DEFAULT_ANALYZERS = ("chat_timing", "turn_taking", "emotion")
OPTIONAL_ANALYZERS = frozenset({"emotion"})  # skipped with a note if their extra is not installed


@dataclass
class EngineConfig:
    rules: Path = DEFAULT_PACK
    scorecard: Path = DEFAULT_SCORECARD
    analyzers: tuple[str, ...] = DEFAULT_ANALYZERS
    analyzer_options: dict[str, dict] = field(default_factory=dict)


def build_analyzers(names: tuple[str, ...], options: dict[str, dict]) -> tuple[list[Analyzer], list[str]]:
    analyzers, skipped = [], []
    for name in names:
        module = ANALYZER_MODULES.get(name)
        try:
            if module:
                importlib.import_module(module)
        except ImportError as exc:
            if name in OPTIONAL_ANALYZERS:
                skipped.append(f"{name}: {exc}")
                continue
            raise
        analyzers.append(create(name, **options.get(name, {})))
    return analyzers, skipped


class Engine:
    def __init__(self, config: EngineConfig | None = None, *, pack: LoadedPack | None = None,
                 scorecard: LoadedScorecard | None = None) -> None:
        self.config = config or EngineConfig()
        self.pack = pack or load_pack(self.config.rules)
        self.scorecard = scorecard or load_scorecard(self.config.scorecard)
        self.rules = RuleEngine(self.pack)
        check_against_pack(self.scorecard, {r.id for r in self.pack.pack.rules})
        self.analyzers, self.skipped_analyzers = build_analyzers(self.config.analyzers, self.config.analyzer_options)

    @property
    def pack_ref(self) -> PackRef:
        info = self.pack.pack.pack
        return PackRef(id=info.id, version=info.version, sha256=self.pack.sha256)

    @property
    def scorecard_ref(self) -> PackRef:
        info = self.scorecard.scorecard.scorecard
        return PackRef(id=info.id, version=info.version, sha256=self.scorecard.sha256)

    @property
    def model_version(self) -> str:
        """Which analyzers (and model artifacts) produced a result: part of its identity, so a
        new model creates a new result version instead of overwriting the old one."""
        return ",".join(f"{a.name}@{getattr(a, 'version', '1')}" for a in self.analyzers)

    def analyze(self, conversations: list[Conversation]) -> None:
        for analyzer in self.analyzers:
            analyzer.analyze_many(conversations)

    def score(self, conversation: Conversation) -> ScoreResult:
        return self.score_many([conversation])[0]

    def score_many(self, conversations: list[Conversation]) -> list[ScoreResult]:
        self.analyze(conversations)
        return [self._result(c) for c in conversations]

    def _result(self, conversation: Conversation) -> ScoreResult:
        evaluation = self.rules.evaluate(conversation)
        outcome = score(conversation, evaluation, self.scorecard.scorecard)
        return ScoreResult(
            engine_version=__version__,
            conversation_id=conversation.id, **conversation.header(),
            rule_pack=self.pack_ref, scorecard=self.scorecard_ref,
            score=outcome.score, veto=outcome.veto, grade=outcome.grade, passed=outcome.passed,
            dimensions=outcome.dimensions, compliance_score=outcome.compliance_score,
            hits=evaluation.hits, deductions=outcome.deductions, bonuses=outcome.bonuses,
            flags=outcome.flags, needs_review=bool(outcome.flags), rules=evaluation.statuses,
            analysis=conversation.analysis, utterances=conversation.utterances,
        )
