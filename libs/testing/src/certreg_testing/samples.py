"""Small files for upload tests: the services sniff the type from the first bytes."""

from __future__ import annotations

import base64
import uuid

# A real (small) PDF: one catalog, an empty page tree.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
# A real 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
# A Windows executable (MZ header), to be uploaded under a .pdf name.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def random_siret() -> str:
    """A fresh 14-digit SIRET whose Luhn key holds (never La Poste's SIREN, which has its own rule)."""
    body = str(uuid.uuid4().int)[:13]
    if body.startswith("356000000"):
        body = "1" + body[1:]
    for check in range(10):
        digits = body + str(check)
        total = 0
        for position, ch in enumerate(reversed(digits)):
            value = int(ch) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


__all__ = ["EXE", "PDF", "PNG", "random_siret"]
