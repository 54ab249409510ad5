"""Issue 11, point 17: no storage without bound. A draft entity application keeps one
file per piece (a re-upload replaces it), and the pieces of one dossier — an entity
application, a filing with every version kept — stay within CERTREG_MAX_DOSSIER_BYTES:
past it, a 413 ``dossier_quota`` in French naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from certreg_testing.samples import random_siret

from .world import PDF, World, expect

KIB = 1024


def pdf_of(size: int) -> bytes:
    return PDF + b"%" + b"x" * (size - len(PDF) - 1)


@contextmanager
def dossier_quota(world: World, max_bytes: int) -> Iterator[None]:
    """The world's services with a small quota for the test's duration."""
    settings = [world.p.platform.runners[s].ctx.deps.settings for s in ("entities", "filings")]
    before = [s.max_dossier_bytes for s in settings]
    for s in settings:
        s.max_dossier_bytes = max_bytes
    try:
        yield
    finally:
        for s, value in zip(settings, before, strict=True):
            s.max_dossier_bytes = value


async def test_a_dossier_holds_a_bounded_total(any_world: World) -> None:
    world = any_world
    await world.refresh()
    client = world.client
    _, _, onboarding = await world.register("Quota")
    app = expect(
        await client.post(
            "/api/entities/applications",
            headers=onboarding,
            json={
                "kind": "other",
                "legal_form": "company",
                "has_siret": True,
                "siret": random_siret(),
                "denomination": "Organisme qui envoie trop",
                "named_on_legal_proof": False,
            },
        ),
        201,
    )
    base = f"/api/entities/applications/{app['application_id']}/documents"
    with dossier_quota(world, 100 * KIB):
        # Re-uploads of a draft's piece replace it: ten sends, one file kept.
        for _ in range(10):
            expect(await client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", pdf_of(60 * KIB))}), 201)
        view = expect(await client.get(f"/api/entities/applications/{app['application_id']}", headers=onboarding), 200)
        [legal] = [p for p in view["documents"] if p["doc_type"] == "legal_existence"]
        assert len(legal["versions"]) == 1
        # A second piece past the total: refused, in French, naming the field.
        over = await client.put(
            f"{base}/mandate_delegation",
            params={"document_date": world.today().isoformat()},
            headers=onboarding,
            files={"file": ("mandat.pdf", pdf_of(60 * KIB))},
        )
        assert over.status_code == 413, over.text
        assert over.json()["code"] == "dossier_quota" and over.json()["field"] == "file"
        assert "Espace du dossier épuisé" in over.json()["detail"]

        # A filing keeps every version of a replaced piece: the total bounds them.
        manager = world.a.manager
        filing = expect(
            await client.post(
                "/api/filings",
                headers=manager,
                json={"repertoire": "rs", "title": "Quota de stockage", "is_cqp": False, "rests_on_standards": False},
            ),
            201,
        )
        url = f"/api/filings/{filing['filing_id']}/documents/competence_framework"
        expect(await client.post(url, headers=manager, files={"file": ("ref.pdf", pdf_of(60 * KIB))}), 201)
        again = await client.post(url, headers=manager, files={"file": ("ref.pdf", pdf_of(60 * KIB))})
        assert again.status_code == 413, again.text
        assert again.json()["code"] == "dossier_quota" and "Espace du dossier épuisé" in again.json()["detail"]
