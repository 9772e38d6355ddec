"""The output contract: the JSON Schema of a score result, versioned with the data.

``schemas/score-result.v1.json`` in the repository is generated from :class:`ScoreResult`; a
test fails when the code and the committed schema drift apart, so changing the contract is
always a deliberate, reviewed step (bump ``RESULT_SCHEMA_VERSION`` on breaking changes).
"""

from __future__ import annotations

from pathlib import Path

from qa_engine.types import RESULT_SCHEMA_VERSION, ScoreResult

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "score-result.v1.json"


def result_json_schema() -> dict:
    schema = ScoreResult.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"qa-engine/score-result/{RESULT_SCHEMA_VERSION}"
    schema["title"] = "qa-engine score result"
    schema["description"] = ("One scored conversation: score, veto, grade, dimensions, hits with evidence, "
                             "deductions, flags and the annotated transcript.")
    return schema
