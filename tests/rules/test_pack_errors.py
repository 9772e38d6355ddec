"""A broken rule file gets an error naming the file, the rule id and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.rules.loader import PackErrors, load_pack

HEAD = "pack: {id: t, version: '1'}\nrules:\n"


def errors_for(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(PackErrors) as info:
        load_pack(path)
    return [str(e) for e in info.value.errors]


def test_unknown_operator_names_file_rule_and_field(tmp_path):
    errors = errors_for(tmp_path, "  - id: greet\n    name: x\n    conditions:\n      c: {keywordz: {any: [您好]}}\n")
    assert any("bad.yaml: rule greet: conditions.c.keywordz: unknown field 'keywordz'" in e for e in errors)


def test_bad_regex(tmp_path):
    errors = errors_for(tmp_path, "  - id: r1\n    name: x\n    conditions:\n      c: {regex: {pattern: '(unclosed'}}\n")
    assert any("rule r1: conditions.c.regex.pattern" in e and "bad regular expression" in e for e in errors)


def test_two_operators_in_one_condition(tmp_path):
    errors = errors_for(tmp_path, "  - id: r1\n    name: x\n    conditions:\n"
                                  "      c: {regex: {pattern: a}, keywords: {any: [b]}}\n")
    assert any("exactly one operator" in e and "regex, keywords" not in e for e in errors)


def test_when_names_unknown_condition(tmp_path):
    errors = errors_for(tmp_path, "  - id: r1\n    name: x\n    when: a and b\n    conditions:\n      a: {regex: {pattern: x}}\n")
    assert any("rule r1" in e and "'b'" in e for e in errors)


def test_duplicate_ids_unknown_anchor_and_lexicon(tmp_path):
    assert any("appears twice" in e for e in errors_for(
        tmp_path, "  - {id: r1, name: x, conditions: {a: {regex: {pattern: x}}}}\n"
                  "  - {id: r1, name: y, conditions: {a: {regex: {pattern: y}}}}\n"))
    assert any("anchor.rule 'nope'" in e for e in errors_for(
        tmp_path, "  - {id: r1, name: x, anchor: {rule: nope}, mode: required, conditions: {a: {regex: {pattern: x}}}}\n"))
    assert any("unknown lexicon 'nope'" in e for e in errors_for(
        tmp_path, "  - {id: r1, name: x, conditions: {a: {keywords: {lexicons: [nope]}}}}\n"))


def test_bad_mode_and_broken_yaml(tmp_path):
    assert any("rule r1: mode" in e for e in errors_for(
        tmp_path, "  - {id: r1, name: x, mode: forbid, conditions: {a: {regex: {pattern: x}}}}\n"))
    assert any("line" in e and "invalid YAML" in e for e in errors_for(tmp_path, "  - {id: r1, name: [\n"))


def test_missing_lexicon_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD.replace("rules:\n", "lexicons: {bad: missing.txt}\nrules: []\n"), encoding="utf-8")
    with pytest.raises(PackErrors) as info:
        load_pack(path)
    assert "lexicons.bad" in str(info.value) and "missing.txt" in str(info.value)
