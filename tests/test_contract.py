"""The score-result JSON is a public contract: the committed schema matches the code and real
output validates against it."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from qa_engine.contract import SCHEMA_PATH, result_json_schema
from qa_engine.pipeline import Engine, EngineConfig
from tests.helpers import conversation


def test_committed_schema_matches_the_code():
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == result_json_schema(), "run `qa-engine schema > schemas/score-result.v1.json` and review the diff"


def test_results_validate_against_the_schema():
    validator = Draft202012Validator(result_json_schema())
    engine = Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))
    chat = conversation(("C", "在吗", 0, 0), ("A", "你好，不知道", 40, 40), ("C", "我要投诉", 50, 50))
    call = conversation(("C", "我的网断了", 0, 2), ("A", "地址", 9, 10), channel="call", id="call")
    for result in engine.score_many([chat, call]):
        payload = json.loads(result.model_dump_json())
        errors = sorted(validator.iter_errors(payload), key=str)
        assert not errors, errors[0]
        assert payload["schema_version"] == "1.0" and payload["hits"]
