"""Load a rule pack from YAML, with errors a QA analyst can act on (file, rule id, field)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from qa_engine.rules.schema import RulePack


@dataclass
class PackError(Exception):
    """One problem in a rule or scorecard file."""

    file: str
    message: str
    rule: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.rule:
            where += f": rule {self.rule}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class PackErrors(Exception):
    def __init__(self, errors: list[PackError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def read_yaml(path: Path) -> tuple[Any, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackErrors([PackError(str(path), f"cannot read file: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PackErrors([PackError(str(path), "not UTF-8 text; save the file as UTF-8")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PackErrors([PackError(str(path), f"{line}invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise PackErrors([PackError(str(path), "expected a mapping at the top level (pack:, rules:)")])
    return data, raw


def validation_errors(path: Path, data: dict, exc: ValidationError, list_key: str) -> PackErrors:
    """Turn pydantic's locations (rules, 3, conditions, x, regex) into file + rule id + field."""
    errors = []
    items = data.get(list_key) if isinstance(data.get(list_key), list) else []
    for err in exc.errors():
        loc = list(err["loc"])
        rule = None
        if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
            index = loc[1]
            item = items[index] if index < len(items) else None
            rule = str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"#{index + 1}"
            loc = loc[2:]
        # drop pydantic's union-branch labels so the field path stays readable
        field = ".".join(str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r} (misspelt operator or option?)"
        errors.append(PackError(str(path), message, rule, field or None))
    return PackErrors(errors)


def _resolve_lexicons(path: Path, data: dict) -> None:
    lexicons = data.get("lexicons")
    if not isinstance(lexicons, dict):
        return
    for name, value in list(lexicons.items()):
        if isinstance(value, str):
            file = (path.parent / value).resolve()
            try:
                lines = file.read_text(encoding="utf-8-sig").splitlines()
            except OSError as exc:
                raise PackErrors([PackError(str(path), f"lexicon file {value}: {exc.strerror}", field=f"lexicons.{name}")]) from None
            lexicons[name] = [w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")]


@dataclass(frozen=True)
class LoadedPack:
    pack: RulePack
    path: Path
    sha256: str

    @property
    def dictionaries(self) -> list[Path]:
        return [(self.path.parent / d).resolve() for d in self.pack.dictionary]


def load_pack(path: str | Path) -> LoadedPack:
    path = Path(path)
    data, raw = read_yaml(path)
    _resolve_lexicons(path, data)
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        raise validation_errors(path, data, exc, "rules") from None
    digest = hashlib.sha256(raw)
    for dictionary in pack.dictionary:
        file = path.parent / dictionary
        if not file.is_file():
            raise PackErrors([PackError(str(path), f"dictionary file {dictionary} not found", field="dictionary")])
        digest.update(file.read_bytes())
    for value in (data.get("lexicons") or {}).values():
        digest.update("\n".join(value).encode())
    return LoadedPack(pack, path, digest.hexdigest())
