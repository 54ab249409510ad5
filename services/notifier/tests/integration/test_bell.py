"""The bell without duplicates, read per dossier (issue 13, point 12), in both modes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from certreg_testing.infra import unique_namespace
from services.notifier.tests.integration.test_service import approve
from services.notifier.tests.samples import sample_event


@pytest.fixture(params=["embedded", pytest.param("infra", marks=pytest.mark.infra)])
def bell_notifier(request, notifier_factory):
    if request.param == "embedded":
        return notifier_factory()
    postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
    return notifier_factory(database_url=postgres.database_url_template(), amqp_url=amqp_url, bus_namespace=unique_namespace())


async def test_the_same_news_rings_once_and_a_dossier_opened_is_read(bell_notifier) -> None:
    async with bell_notifier as n:
        entity = uuid.uuid4()
        depositor = await approve(n, "bell@a.example", entity)
        await n.settle()
        first, second = uuid.uuid4(), uuid.uuid4()
        incomplete: dict[str, Any] = {"complete": False, "missing": ["criminal_record"], "due_date": dt.date(2027, 1, 15)}
        for filing in (first, first, second):  # the same news twice about the first dossier (two events)
            await n.publish(
                sample_event("review.case.completeness_checked", filing_id=filing, entity_id=entity, title="Cariste", **incomplete),
                settle=True,
            )
        await n.settle()
        headers = n.auth(depositor, entity_id=entity)
        page = (await n.client.get("/api/notifier/notifications", headers=headers)).json()
        about = sorted(str(i["filing_id"]) for i in page["items"] if i["filing_id"])  # not the approval's
        assert about == sorted([str(first), str(second)])

        # Opening the first dossier reads its notifications only.
        opened = await n.client.post("/api/notifier/notifications/read-all", params={"filing_id": str(first)}, headers=headers)
        assert opened.status_code == 204
        unread = (await n.client.get("/api/notifier/notifications?unread=true", headers=headers)).json()
        assert [i["filing_id"] for i in unread["items"] if i["filing_id"]] == [str(second)]
        # Once read, the same news rings again.
        await n.publish(sample_event("review.case.completeness_checked", filing_id=first, entity_id=entity, title="Cariste", **incomplete))
        await n.settle()
        unread = (await n.client.get("/api/notifier/notifications?unread=true", headers=headers)).json()
        assert sorted(i["filing_id"] for i in unread["items"] if i["filing_id"]) == sorted([str(first), str(second)])

        # Two identical events delivered at once (RabbitMQ's concurrent consumers) ring once.
        third = uuid.uuid4()
        for _ in range(2):
            await n.publish(
                sample_event("review.case.completeness_checked", filing_id=third, entity_id=entity, title="Cariste", **incomplete)
            )
        await n.settle()
        about_third = [x for x in n.notifications(depositor) if x.filing_id == third]
        assert len(about_third) == 1
