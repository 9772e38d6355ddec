from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qa_engine.rules.engine import RuleEngine
from qa_engine.rules.loader import load_pack


@pytest.fixture
def make_engine(tmp_path: Path):
    """Build a RuleEngine from rule dicts written to a real YAML file (the loader path runs too)."""

    def build(*rules: dict, lexicons: dict | None = None) -> RuleEngine:
        path = tmp_path / "pack.yaml"
        data = {"pack": {"id": "t", "version": "1"}, "rules": list(rules)}
        if lexicons:
            data["lexicons"] = lexicons
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return RuleEngine(load_pack(path))

    return build
