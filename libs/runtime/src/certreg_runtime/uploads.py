"""Receiving a document: streamed to a temporary file while its SHA-256 and size are
computed, its type sniffed from the content (never from the name), its name sanitised.
Nothing is stored until every check passed; the caller deletes the file when done."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import Request

from certreg_runtime.errors import Invalid, TooLarge, Unsupported

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENT_TYPES = (PDF, PNG, JPEG, ODT, DOCX)
TYPE_LABELS = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", ODT: "ODT", DOCX: "DOCX"}


@dataclass
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    content_type: str
    filename: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def sniff_content_type(path: Path) -> str | None:
    """The document type from its first bytes (and, for ZIP containers, their content)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                    return ODT
                if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                    return DOCX
        except zipfile.BadZipFile:
            return None
    return None


def sanitize_filename(name: str | None, default: str = "document") -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    name = re.sub(r"_+", "_", name)
    if not name:
        return default
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:100]}.{ext}" if stem else f"{default}.{ext}"
    return name[:110]


def _filename_from_disposition(value: str | None) -> str | None:
    if not value:
        return None
    match = re.search(r"filename\*=UTF-8''([^;]+)", value) or re.search(r'filename="?([^";]+)"?', value)
    if not match:
        return None
    from urllib.parse import unquote

    return unquote(match.group(1))


async def receive_upload(
    request: Request,
    *,
    max_bytes: int,
    allowed_types: tuple[str, ...] = DOCUMENT_TYPES,
    field: str = "file",
    tmp_dir: Path | None = None,
) -> ReceivedFile:
    """Read the request body (raw, or multipart with one file part) into a temporary file.

    Raises 413 past ``max_bytes`` (checked on the declared length first, then while
    reading), 415 when the content is not one of ``allowed_types``, 422 when empty.
    """
    declared = request.headers.get("content-length")
    content_type = request.headers.get("content-type", "")
    is_multipart = content_type.startswith("multipart/form-data")
    # Multipart adds a little framing around the file.
    slack = 64 * 1024 if is_multipart else 0
    if declared and declared.isdigit() and int(declared) > max_bytes + slack:
        raise _too_large(max_bytes, field)

    fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
    path = Path(name)
    filename: str | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            spool = _Spool(out, max_bytes, field)
            if is_multipart:
                form = await request.form(max_files=1, max_fields=20)
                part = form.get(field) or next((v for v in form.values() if hasattr(v, "read")), None)
                if part is None or not hasattr(part, "read"):
                    raise Invalid([{"loc": ["body", field], "msg": "Aucun fichier reçu.", "type": "missing"}])
                filename = getattr(part, "filename", None)
                while chunk := await part.read(_SPOOL_CHUNK):
                    await spool.add(chunk)
                await form.close()
            else:
                filename = request.query_params.get("filename") or _filename_from_disposition(request.headers.get("content-disposition"))
                async for chunk in request.stream():
                    await spool.add(chunk)
            await spool.flush()
        size, sha256 = spool.size, spool.digest.hexdigest()
        if size == 0:
            raise Invalid([{"loc": ["body", field], "msg": "Le fichier est vide.", "type": "empty"}])
        sniffed = await asyncio.to_thread(sniff_content_type, path)
        if sniffed not in allowed_types:
            allowed = ", ".join(TYPE_LABELS.get(t, t) for t in allowed_types)
            raise Unsupported(
                f"Type de fichier non accepté : le contenu n'est pas un document {allowed}.",
                code="unsupported_type",
                field=field,
                allowed=list(allowed_types),
            )
        return ReceivedFile(path, size, sha256, sniffed, sanitize_filename(filename))
    except BaseException:
        path.unlink(missing_ok=True)
        raise


_SPOOL_CHUNK = 1024 * 1024


class _Spool:
    """Counts, hashes and writes the body in 1 MiB batches, off the event loop, so that
    a large upload neither blocks other requests nor sits in memory."""

    def __init__(self, out: BinaryIO, max_bytes: int, field: str) -> None:
        self.out = out
        self.max_bytes = max_bytes
        self.field = field
        self.size = 0
        self.digest = hashlib.sha256()
        self._pending = bytearray()

    async def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _too_large(self.max_bytes, self.field)
        self._pending += chunk
        if len(self._pending) >= _SPOOL_CHUNK:
            await self.flush()

    async def flush(self) -> None:
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        self.digest.update(data)
        self.out.write(data)


def _too_large(max_bytes: int, field: str) -> TooLarge:
    return TooLarge(
        f"Fichier trop volumineux : {max_bytes // (1024 * 1024)} Mo au maximum.",
        code="too_large",
        field=field,
        max_bytes=max_bytes,
    )
