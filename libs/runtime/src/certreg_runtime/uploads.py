"""Receiving a document: streamed to a temporary file while its SHA-256 and size are
computed, its type sniffed from the content (never from the name), its name sanitised
and given the extension of the sniffed type.
Nothing is stored until every check passed; the caller deletes the file when done."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
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
    # the multipart request's text fields asked for (``receive_upload(text_fields=…)``)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    # ``with await receive_upload(...) as received:`` — the spooled file is gone after the
    # block, whether the piece was stored or refused.
    def __enter__(self) -> ReceivedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


# What a ZIP container (ODT, DOCX) may hold before it is refused unread: real documents
# have tens to a few hundred members; the central directory is read into memory by
# ``zipfile``, so its size and count are checked from the end record first.
MAX_ARCHIVE_MEMBERS = 10_000
MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024
# The ``mimetype`` member of an OpenDocument file is a few dozen bytes; never more is read.
MIMETYPE_READ_LIMIT = 256
# An archive that says it inflates to more than this, or with a large member inflating
# more than MAX_RATIO times, is a decompression bomb for whoever opens it later (the
# staff's office suite, an antivirus): refused, though never inflated here.
MAX_ARCHIVE_EXPANSION = 2 * 1024 * 1024 * 1024
MAX_RATIO = 200
_LARGE_MEMBER = 16 * 1024 * 1024

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def sniff_content_type(path: Path) -> str | None:
    """The document type from its first bytes (and, for ZIP containers, their content).

    Nothing is decompressed beyond ``MIMETYPE_READ_LIMIT`` bytes, and an archive whose
    central directory is larger than ``MAX_CENTRAL_DIRECTORY`` or lists more than
    ``MAX_ARCHIVE_MEMBERS`` members is not opened at all: a request cannot make the
    process grow by more than a few of its own buffers (a decompression bomb is simply
    not a document)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _sniff_archive(path)
    return None


def _sniff_archive(path: Path) -> str | None:
    if not _archive_within_limits(path):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if _looks_like_a_bomb(infos):
                return None
            names = {info.filename for info in infos}
            mimetype = next((info for info in infos if info.filename == "mimetype"), None)
            # Stored or deflated only: zipfile bounds what it inflates per read for these,
            # not for bzip2 or LZMA (a few KiB of those can expand to gigabytes).
            if mimetype is not None and mimetype.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                with archive.open(mimetype) as member:
                    declared = member.read(MIMETYPE_READ_LIMIT + 1)
                if len(declared) <= MIMETYPE_READ_LIMIT and declared.strip() == ODT.encode():
                    return ODT
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError, zlib.error):
        return None
    return None


def _looks_like_a_bomb(infos: list[zipfile.ZipInfo]) -> bool:
    """What the central directory declares (nothing is inflated to find out)."""
    if sum(info.file_size for info in infos) > MAX_ARCHIVE_EXPANSION:
        return True
    return any(info.file_size > _LARGE_MEMBER and info.file_size > MAX_RATIO * max(info.compress_size, 1) for info in infos)


def _archive_within_limits(path: Path) -> bool:
    """The archive's end record says how many members and how large a central directory
    ``zipfile`` would read into memory: both must be within the limits."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        tail_size = min(size, 22 + 65535)  # the end record and the longest comment
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
        # Where zipfile looks: an end record with no comment last, else the last signature.
        at = len(tail) - 22 if tail[-22:-18] == _EOCD else tail.rfind(_EOCD, 0, len(tail) - 21)
        if at < 0:
            return False
        _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            # ZIP64: the real figures are in the ZIP64 end record its locator points to.
            locator = tail[at - 20 : at] if at >= 20 else b""
            if not locator.startswith(_ZIP64_LOCATOR):
                return False
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            if record_offset + 56 > size:
                return False
            fh.seek(record_offset)
            record = fh.read(56)
            if not record.startswith(_ZIP64_EOCD):
                return False
            entries, cd_size = struct.unpack("<QQ", record[32:48])
    return int(entries) <= MAX_ARCHIVE_MEMBERS and int(cd_size) <= MAX_CENTRAL_DIRECTORY


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


# The extension each accepted type is stored and downloaded with (and the ones a name may
# already carry for it).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg"),
    ODT: ("odt",),
    DOCX: ("docx",),
}


def stored_filename(name: str | None, content_type: str, default: str = "document") -> str:
    """The name a document is stored and offered for download under: sanitised, and
    ending with the extension of its *sniffed* type, whatever the uploader called it
    (``Referentiel.pdf.hta`` → ``Referentiel.pdf``, ``run.bat`` → ``run.pdf``)."""
    clean = sanitize_filename(name, default)
    allowed = EXTENSIONS.get(content_type)
    if not allowed:
        return clean
    stem, dot, ext = clean.rpartition(".")
    if dot and ext.lower() in allowed:
        return clean
    base = stem if dot else clean
    for known in allowed:  # "x.pdf.hta": the name already said pdf before the extra extension
        if base.lower().endswith("." + known):
            return base
    return f"{base or default}.{allowed[0]}"


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
    text_fields: tuple[str, ...] = (),
) -> ReceivedFile:
    """Read the request body (raw, or multipart with one file part) into a temporary file.

    ``text_fields``: the multipart text parts to give back with the file
    (``ReceivedFile.fields``; a part not sent is absent), e.g. a note sent with it.
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
    texts: dict[str, str] = {}
    try:
        with os.fdopen(fd, "wb") as out:
            spool = _Spool(out, max_bytes, field)
            if is_multipart:
                form = await request.form(max_files=1, max_fields=20)
                part = form.get(field) or next((v for v in form.values() if hasattr(v, "read")), None)
                if part is None or not hasattr(part, "read"):
                    raise Invalid([{"loc": ["body", field], "msg": "Aucun fichier reçu.", "type": "missing"}])
                filename = getattr(part, "filename", None)
                texts = {name: value for name in text_fields if isinstance(value := form.get(name), str)}
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
        return ReceivedFile(path, size, sha256, sniffed, stored_filename(filename, sniffed), texts)
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


def check_dossier_quota(used: int, incoming: int, max_total: int, field: str = "file") -> None:
    """A piece of ``incoming`` bytes may join a dossier whose pieces (every version
    kept) already hold ``used`` bytes only within ``max_total`` (``CERTREG_MAX_DOSSIER_BYTES``):
    else a 413 ``dossier_quota`` naming the field, in French."""
    if used + incoming > max_total:
        raise TooLarge(
            f"Espace du dossier épuisé : ses pièces occupent déjà {_megabytes(used)} sur {_megabytes(max_total)} autorisés, "
            f"ce fichier ({_megabytes(incoming)}) ne peut pas être ajouté. Supprimez ou remplacez une pièce inutile.",
            code="dossier_quota",
            field=field,
            max_bytes=max_total,
            used_bytes=used,
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


def _too_large(max_bytes: int, field: str) -> TooLarge:
    return TooLarge(
        f"Fichier trop volumineux : {max_bytes // (1024 * 1024)} Mo au maximum.",
        code="too_large",
        field=field,
        max_bytes=max_bytes,
    )
