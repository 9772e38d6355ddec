"""Architecture rules that code review alone would let slip."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_source_never_imports_the_api_or_a_web_framework():
    offenders = []
    for path in (ROOT / "qa_engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in {"api", "fastapi", "starlette", "sqlalchemy", "celery"}:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders


def test_scoring_a_chat_loads_no_api_module():
    code = ("import sys; from qa_engine.pipeline import Engine, EngineConfig; "
            "Engine(EngineConfig(analyzers=('chat_timing',))); "
            "assert not [m for m in sys.modules if m == 'api' or m.startswith('api.')], 'api imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
