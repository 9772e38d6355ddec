"""Streaming request bodies to disk with a size limit (no full-body buffering, no double copy).

A multipart file part is written chunk by chunk straight to its final place as it arrives, so
a 500 MB recording costs 500 MB of disk, not memory; the limit is enforced while reading, so an
oversized upload is cut off at the limit (413) instead of after it has been received.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api.errors import ApiError

MAX_FIELD_BYTES = 1024 * 1024  # non-file form fields (metadata JSON) stay in memory: keep them small
MULTIPART_SLACK = 64 * 1024  # headers and boundaries on top of the file itself


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"upload exceeds the limit of {limit // (1024 * 1024)} MB "
                                      "(QA_MAX_UPLOAD_MB); split the batch or ask an admin to raise the limit")


def _truncated() -> ApiError:
    return ApiError(400, "truncated_upload", "the upload ended early (connection closed or body cut short); "
                                             "resend the whole file")


def check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        raise too_large(limit)


async def save_body(request: Request, dest: Path, limit: int) -> tuple[int, str]:
    """Write the raw body to ``dest``; return (bytes, sha256)."""
    check_declared_length(request, limit)
    size, digest = 0, hashlib.sha256()
    try:
        with open(dest, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                digest.update(chunk)
                fh.write(chunk)
    except ClientDisconnect:
        raise _truncated() from None
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) != size:
        raise _truncated()
    return size, digest.hexdigest()


@dataclass
class FilePart:
    field: str
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


_EXTENDED_FILENAME = re.compile(rb"filename\*\s*=\s*([^;]+)", re.IGNORECASE)


def _filename(disposition: bytes, params: dict[bytes, bytes]) -> str | None:
    """The part's file name: RFC 5987 ``filename*=UTF-8''...`` first (python-multipart drops it),
    else ``filename`` read as UTF-8."""
    match = _EXTENDED_FILENAME.search(disposition)
    if match:
        charset, _, rest = match.group(1).strip().strip(b'"').partition(b"'")
        _, _, encoded = rest.partition(b"'")
        raw = unquote_to_bytes(encoded)
        try:
            return raw.decode(charset.decode("ascii", "replace") or "utf-8", "replace")
        except LookupError:
            return raw.decode("utf-8", "replace")
    plain = params.get(b"filename")
    return None if plain is None else plain.decode("utf-8", "replace")


class _Collector:
    """Callbacks for python-multipart: routes each part to a file or an in-memory field."""

    def __init__(self, limit: int, target: Callable[[str, str], Path]) -> None:
        self.limit, self.target = limit, target
        self.form = Form()
        self.total = 0
        self.finished = False
        self._headers: dict[str, bytes] = {}
        self._hname = self._hvalue = b""
        self._fh = None
        self._part: FilePart | None = None
        self._digest = None
        self._buf = bytearray()
        self._name = ""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        # Raw bytes: clients send UTF-8 names (通话录音.wav) that are not latin-1, and
        # parse_options_header only round-trips bytes safely.
        self._headers[self._hname.decode("latin-1").lower()] = self._hvalue
        self._hname = self._hvalue = b""

    def on_headers_finished(self) -> None:
        disposition = self._headers.get("content-disposition", b"")
        _, params = parse_options_header(disposition)
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = _filename(disposition, params)
        self._headers = {}
        if filename is not None:
            name = Path(filename.replace("\\", "/")).name or "upload"
            if self._name in self.form.files:
                raise ApiError(422, "invalid_input", f"form field '{self._name}' sent twice; send one file")
            path = self.target(self._name, name)  # may raise (e.g. 415 for an unsupported type)
            self._part = FilePart(self._name, name, path)
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in on_part_end / close()
            self._digest = hashlib.sha256()
        else:
            self._part, self._buf = None, bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._part is not None:
            self._part.size += len(chunk)
            if self._part.size > self.limit:
                raise too_large(self.limit)
            self._fh.write(chunk)
            self._digest.update(chunk)
        else:
            self._buf += chunk
            if len(self._buf) > MAX_FIELD_BYTES:
                raise ApiError(413, "too_large", f"form field '{self._name}' is larger than 1 MB; "
                                                 "send large content as a file part")

    def on_part_end(self) -> None:
        if self._part is not None:
            self._fh.close()
            self._fh = None
            self._part.sha256 = self._digest.hexdigest()
            self.form.files[self._part.field] = self._part
            self._part = None
        else:
            self.form.fields[self._name] = self._buf.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.finished = True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def callbacks(self) -> dict:
        return {name: getattr(self, name) for name in
                ("on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
                 "on_part_data", "on_part_end", "on_end")}


async def parse_multipart(request: Request, limit: int, target: Callable[[str, str], Path]) -> Form:
    """Stream a multipart/form-data body. ``target(field, filename)`` says where a file part goes.

    On any error the files written so far are removed."""
    check_declared_length(request, limit)
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "multipart/form-data without a boundary; let your HTTP client "
                                           "build the multipart body (e.g. curl -F file=@call.wav)")
    collector = _Collector(limit, target)
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        async for chunk in request.stream():
            collector.total += len(chunk)
            if collector.total > limit + MULTIPART_SLACK:
                raise too_large(limit)
            parser.write(chunk)
        if not collector.finished:
            raise _truncated()
    except ClientDisconnect:
        collector.close()
        _remove(collector)
        raise _truncated() from None
    except FormParserError as exc:
        collector.close()
        _remove(collector)
        raise ApiError(400, "bad_request", f"malformed multipart body ({exc}); resend it") from None
    except BaseException:
        collector.close()
        _remove(collector)
        raise
    return collector.form


def _remove(collector: _Collector) -> None:
    paths = [p.path for p in collector.form.files.values()]
    if collector._part is not None:
        paths.append(collector._part.path)
    for path in paths:
        path.unlink(missing_ok=True)
