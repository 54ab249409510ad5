"""The dossier's number people quote (issue 13, point 14): « 2026-000123 », the Paris year of
its creation and that year's sequence, given at creation, unique and without a gap when
drafts are created at once — in both modes (SQLite, and PostgreSQL with RabbitMQ)."""

from __future__ import annotations

import asyncio
import re

import pytest

from certreg_testing.samples import RNCP_FILING

from .test_idempotency import MODES, platform


@pytest.mark.parametrize("mode", MODES)
async def test_each_dossier_gets_the_next_number_of_its_year_even_at_once(tmp_path, mode, request) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep = h.depositor()
        year = h.today().year
        first = await h.create(dep)
        assert re.fullmatch(rf"{year}-\d{{6}}", first["reference"]), first["reference"]
        together = await asyncio.gather(*(h.client.post("/api/filings", json=RNCP_FILING, headers=h.depositor()) for _ in range(12)))
        assert {r.status_code for r in together} == {201}, [r.text for r in together if r.status_code != 201]
        numbers = sorted(int(r.json()["reference"].split("-")[1]) for r in together)
        start = int(first["reference"].split("-")[1])
        assert numbers == list(range(start + 1, start + 13))  # one each, none twice, no gap
        # Shown in the list and on the filing.
        listed = (await h.client.get("/api/filings", params={"limit": 50}, headers=dep)).json()["items"]
        assert [i["reference"] for i in listed if i["filing_id"] == first["filing_id"]] == [first["reference"]]
        again = (await h.client.get(f"/api/filings/{first['filing_id']}", headers=dep)).json()
        assert again["reference"] == first["reference"]
        # A new year starts again at 1.
        h.p.advance_clock(days=370)
        later = await h.create(h.depositor())
        assert h.today().year == year + 1 and later["reference"] == f"{year + 1}-000001"


async def test_the_number_travels_with_the_submission(h) -> None:
    """Review lists and exports the dossier by it (filings.filing.submitted carries it)."""
    dep = h.depositor()
    filing = await h.create(dep)
    await h.complete(dep, filing)
    submitted = await h.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
    assert submitted.status_code == 202, submitted.text
    [event] = h.outbox("filings.filing.submitted", filing_id=filing["filing_id"])
    assert event["reference"] == filing["reference"]
