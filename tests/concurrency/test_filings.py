"""Filings: the same submission sent several times at once is made once."""

from __future__ import annotations

import asyncio
import uuid

from .conftest import ROUNDS, Served, expect, report

N = 5


async def test_simultaneous_submissions_submit_once(served: Served) -> None:
    statuses = []
    entities = [uuid.uuid4() for _ in range(ROUNDS)]
    drafts = await asyncio.gather(*(served.draft(e) for e in entities))
    for entity_id, filing_id in zip(entities, drafts, strict=True):
        headers = served.depositor(entity_id)
        answers = await served.at_once(
            [("POST", f"/api/filings/{filing_id}/submit", {"json": {"sworn_statement": True}, "headers": headers})] * N
        )
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [202] + [409] * (N - 1), [a.text for a in answers]
        conflict = next(a for a in answers if a.status_code == 409).json()
        assert conflict["detail"], conflict
        receipts = expect(await served.client.get(f"/api/filings/{filing_id}/receipts", headers=headers), 200)["items"]
        assert len(receipts) == 1, receipts
        assert len(served.p.emitted("filings", "filings.filing.submitted", filing_id=filing_id)) == 1
    report("filing submit", served.mode, ROUNDS, N, statuses)
