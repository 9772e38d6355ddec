"""A tiny boolean language for a rule's ``when``: names, and, or, not, parentheses.

Parsed once at load time into nested tuples, so evaluation is a few dictionary look-ups.
We parse instead of calling ``eval`` because rule files come from users.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Expr = str | tuple  # name | ("not", e) | ("and", a, b) | ("or", a, b)

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z_][A-Za-z0-9_]*)|(\S))")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group(4):
            raise ValueError(f"unexpected character {match.group(4)!r} in when: {text!r}")
        tokens.append(next(g for g in match.groups() if g))
    return tokens


def parse_expression(text: str, known: set[str]) -> Expr:
    tokens = _tokens(text)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"when: {text!r} ends too early")
        position += 1
        return tokens[position - 1]

    def parse_or() -> Expr:
        left = parse_and()
        while peek() == "or":
            take()
            left = ("or", left, parse_and())
        return left

    def parse_and() -> Expr:
        left = parse_not()
        while peek() == "and":
            take()
            left = ("and", left, parse_not())
        return left

    def parse_not() -> Expr:
        if peek() == "not":
            take()
            return ("not", parse_not())
        token = take()
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise ValueError(f"when: {text!r} is missing ')'")
            return inner
        if token in ("and", "or", ")"):
            raise ValueError(f"when: {text!r}: unexpected {token!r}")
        if token not in known:
            raise ValueError(f"when: {text!r} names {token!r}, which is not a condition of this rule "
                             f"(conditions: {', '.join(sorted(known))})")
        return token

    expr = parse_or()
    if position != len(tokens):
        raise ValueError(f"when: {text!r}: unexpected {tokens[position]!r}")
    return expr


def evaluate(expr: Expr, values: Mapping[str, bool]) -> bool:
    if isinstance(expr, str):
        return values[expr]
    op = expr[0]
    if op == "not":
        return not evaluate(expr[1], values)
    if op == "and":
        return evaluate(expr[1], values) and evaluate(expr[2], values)
    return evaluate(expr[1], values) or evaluate(expr[2], values)


def names(expr: Expr) -> set[str]:
    if isinstance(expr, str):
        return {expr}
    return set().union(*(names(e) for e in expr[1:]))


def positive_names(expr: Expr, negated: bool = False) -> set[str]:
    """Conditions whose matches count as evidence (not under a ``not``)."""
    if isinstance(expr, str):
        return set() if negated else {expr}
    if expr[0] == "not":
        return positive_names(expr[1], not negated)
    return positive_names(expr[1], negated) | positive_names(expr[2], negated)
