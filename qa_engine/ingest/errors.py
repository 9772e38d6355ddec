"""The one error type every reader reports problems with.

Readers *yield* :class:`IngestError` next to good conversations instead of raising, so one bad
record never stops a file or a folder. It is still an ``Exception`` so a caller that wants
fail-fast behaviour can simply ``raise`` what it receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(eq=False)  # exceptions compare by identity; tests compare the fields
class IngestError(Exception):
    """Where a problem is and what to do about it.

    ``file``: the input path; ``record``: the place inside it (``"line 12"``, ``"row 7"``,
    ``"conversation c1"``; empty for the whole file); ``field``: the offending field
    (``"utterances[3].speaker"``, a CSV column name; may be empty); ``message``: what was wrong
    and how to fix it.
    """

    file: str
    record: str = ""
    field: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        self.file = str(self.file) if isinstance(self.file, Path) else self.file
        # Keep Exception.args meaningful for logging frameworks that print ``args``.
        Exception.__init__(self, str(self))

    def __str__(self) -> str:
        where = self.file
        if self.record:
            where = f"{where}:{self.record}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self):  # noqa: ANN204 - picklable for worker pools (Celery, Ray)
        return (type(self), (self.file, self.record, self.field, self.message))

    def to_dict(self) -> dict[str, str]:
        """JSON-friendly form for reports and the API."""
        return {"file": self.file, "record": self.record, "field": self.field, "message": self.message}
