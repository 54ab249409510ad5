"""A spooled upload is removed once the route is done with it, stored or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from certreg_runtime.uploads import ReceivedFile


def spooled(tmp_path: Path) -> ReceivedFile:
    path = tmp_path / "upload.part"
    path.write_bytes(b"%PDF-1.7")
    return ReceivedFile(path=path, size=8, sha256="0" * 64, content_type="application/pdf", filename="a.pdf")


def test_the_spooled_file_is_gone_after_the_block(tmp_path: Path) -> None:
    with spooled(tmp_path) as received:
        assert received.path.exists()
    assert not received.path.exists()


def test_the_spooled_file_is_gone_when_the_piece_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError), spooled(tmp_path) as received:
        raise ValueError("refused")
    assert not received.path.exists()
