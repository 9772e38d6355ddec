"""Analyzer plug-in interface and registry.

An analyzer reads a :class:`Conversation` and adds to it (utterance annotations or a field of
``Conversation.analysis``). It declares what it ``requires`` and what it ``assigns`` so the
pipeline can check its order at start-up, the way spaCy checks pipeline components. Analyzers
are registered by name and picked by configuration; heavy models load once in ``__init__``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, runtime_checkable

from qa_engine.types import Conversation


@runtime_checkable
class Analyzer(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    assigns: ClassVar[tuple[str, ...]]

    def analyze(self, conversation: Conversation) -> None:
        """Annotate ``conversation`` in place."""

    def analyze_many(self, conversations: list[Conversation]) -> None:
        """Batch hook (models that vectorise override it); defaults to one at a time."""


class BaseAnalyzer(ABC):
    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ("utterances",)
    assigns: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def analyze(self, conversation: Conversation) -> None:
        """Annotate ``conversation`` in place."""

    def analyze_many(self, conversations: list[Conversation]) -> None:
        for conversation in conversations:
            self.analyze(conversation)


AnalyzerFactory = Callable[..., Analyzer]
_REGISTRY: dict[str, AnalyzerFactory] = {}


def register(name: str) -> Callable[[AnalyzerFactory], AnalyzerFactory]:
    def decorator(factory: AnalyzerFactory) -> AnalyzerFactory:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"analyzer {name!r} registered twice")
        _REGISTRY[name] = factory
        return factory

    return decorator


def create(name: str, **options: Any) -> Analyzer:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown analyzer {name!r}; known analyzers: {known}") from None
    return factory(**options)


def registered() -> list[str]:
    return sorted(_REGISTRY)
