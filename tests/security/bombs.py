"""Hostile files for the upload tests, crafted byte by byte (no compressor is run over
gigabytes: a deflate block of zeros is made once and repeated)."""

from __future__ import annotations

import bz2
import struct
import zlib

MIB = 1024 * 1024
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _deflated_zeros(size_mib: int) -> tuple[bytes, int]:
    """A raw deflate stream inflating to ``size_mib`` MiB of zeros, and their CRC-32."""
    chunk = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == repeated  # the trick holds
    stream = first + repeated * (size_mib - 1) + compressor.flush()
    crc = 0
    for _ in range(size_mib):
        crc = zlib.crc32(chunk, crc)
    return stream, crc


def _zip(members: list[tuple[bytes, int, bytes, int, int]]) -> bytes:
    """A ZIP archive of (name, method, data, crc, uncompressed size) members, as written."""
    out = bytearray()
    central = bytearray()
    for name, method, data, crc, size in members:
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(name), 0) + name + data
        central += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), size, len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    count = len(members)
    if count > 0xFFFF:  # ZIP64 end record and locator
        cd_offset = len(out)
        out += central
        zip64_at = len(out)
        out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), cd_offset)
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_at, 1)
        out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
        return bytes(out)
    cd_offset = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), cd_offset, 0)
    return bytes(out)


def _member(name: str, data: bytes) -> tuple[bytes, int, bytes, int, int]:
    return name.encode(), 0, data, zlib.crc32(data), len(data)


def odt_bomb(size_mib: int = 512) -> bytes:
    """An ODT whose ``mimetype`` member inflates to ``size_mib`` MiB (about 1 KiB per MiB)."""
    stream, crc = _deflated_zeros(size_mib)
    return _zip([(b"mimetype", 8, stream, crc, size_mib * MIB), _member("content.xml", b"<office:document-content/>")])


def odt_bzip2_bomb(size_mib: int = 512) -> bytes:
    """The same with a bzip2 ``mimetype`` (zipfile inflates bzip2 without any bound per read)."""
    compressor = bz2.BZ2Compressor(9)
    chunk = bytes(MIB)
    parts = [compressor.compress(chunk) for _ in range(size_mib)]
    data = b"".join(parts) + compressor.flush()
    crc = 0
    for _ in range(size_mib):
        crc = zlib.crc32(chunk, crc)
    return _zip([(b"mimetype", 12, data, crc, size_mib * MIB), _member("content.xml", b"<office:document-content/>")])


def docx_bomb(size_mib: int = 512) -> bytes:
    """A DOCX (content types and a word/ part) that also carries an inflating ``mimetype``."""
    stream, crc = _deflated_zeros(size_mib)
    return _zip(
        [
            (b"mimetype", 8, stream, crc, size_mib * MIB),
            _member("[Content_Types].xml", b"<Types/>"),
            _member("word/document.xml", b"<w:document/>"),
        ]
    )


def docx_many_members(count: int = 300_000) -> bytes:
    """A DOCX whose central directory lists ``count`` empty members."""
    members = [_member("[Content_Types].xml", b"<Types/>"), _member("word/document.xml", b"<w:document/>")]
    members += [_member(f"word/media/{i:06d}", b"") for i in range(count)]
    return _zip(members)


def real_odt() -> bytes:
    return _zip([_member("mimetype", ODT_MIMETYPE), _member("content.xml", b"<office:document-content/>")])


def real_docx() -> bytes:
    return _zip([_member("[Content_Types].xml", b"<Types/>"), _member("word/document.xml", b"<w:document/>")])
