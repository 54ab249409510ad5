"""deploy/README.md stays true to the files it describes."""

from __future__ import annotations

import re

from .helpers import ROOT, SERVICES


def test_every_path_the_readme_names_exists() -> None:
    text = (ROOT / "deploy/README.md").read_text()
    paths = set(re.findall(r"`((?:deploy|tests)/[\w./-]+?)/?`", text)) | set(re.findall(r"(deploy/(?:k8s|compose)/[\w./-]*\w)", text))
    assert len(paths) > 10
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_the_readme_covers_the_operations() -> None:
    text = (ROOT / "deploy/README.md").read_text()
    for needle in (
        "pg_dump",
        "pg_restore",
        "mc mirror",
        "certreg migrate",
        "overlays/dev",
        "overlays/prod",
        "prod-keda",
        "Jaeger",
        "trace_id",
    ):
        assert needle in text, needle
    for service in SERVICES:
        assert f"certreg_{service}" in text
