"""Uploads under attack, in the services that store them (entities: an entity
application's pieces, with the onboarding token of a sign-up never activated; filings: a
filing's pieces; review: the expert's report filed with an external opinion's answer).

- Issue 11, point 2: decompression bombs (ODT/DOCX whose ``mimetype`` inflates to
  hundreds of MiB, bzip2 members, an archive of 300 000 members) sent four at a time:
  refused, and the process's resident memory grows by less than ``RSS_BOUND``.
- Issue 11, point 6: the stored and downloaded name carries the extension of the sniffed
  type (``Referentiel.pdf.hta`` → ``Referentiel.pdf``).
- Upload abuse: polyglots, wrong extensions, empty, oversized, multipart tricks, slow
  bodies."""

from __future__ import annotations

import asyncio
import functools
import gc
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psutil
import pytest

from certreg_contracts.events.filings import FilingSubmitted
from certreg_testing.platform import TestPlatform, embedded_platform
from certreg_testing.samples import EXE, PDF, PNG, random_siret

from . import bombs
from .world import PASSWORD, RNCP_FIELDS, expect, unique_email

MIB = 1024 * 1024
# The most four hostile uploads at once may make the process grow (what a request
# legitimately holds: a 1 MiB spool buffer, the multipart parser's, the archive's
# central directory of at most 4 MiB).
RSS_BOUND = 48 * MIB
BOMB_MIB = 256  # what each bomb inflates to (the old sniffer inflated it whole)


@dataclass
class Uploader:
    """Where each service takes a piece, and who may send it."""

    p: TestPlatform
    onboarding: dict[str, str]
    application_id: str
    depositor: dict[str, str]
    filing_id: str

    def entities_url(self, doc_type: str = "legal_existence") -> str:
        return f"/api/entities/applications/{self.application_id}/documents/{doc_type}"

    def filings_url(self, doc_type: str = "competence_framework") -> str:
        return f"/api/filings/{self.filing_id}/documents/{doc_type}"

    def targets(self) -> list[tuple[str, str, dict[str, str]]]:
        return [("PUT", self.entities_url(), self.onboarding), ("POST", self.filings_url(), self.depositor)]


async def make_uploader(p: TestPlatform) -> Uploader:
    # A sign-up never activated: its onboarding token and its draft application.
    created = expect(
        await p.client.post(
            "/api/identity/accounts",
            json={"email": unique_email("bombe"), "password": PASSWORD, "first_name": "Inconnu", "last_name": "Pirate"},
        ),
        201,
    )
    onboarding = {"Authorization": f"Bearer {created['onboarding_token']}"}
    application = expect(
        await p.client.post(
            "/api/entities/applications",
            headers=onboarding,
            json={
                "kind": "other",
                "legal_form": "company",
                "has_siret": True,
                "siret": random_siret(),
                "denomination": "Société fantôme",
                "named_on_legal_proof": True,
            },
        ),
        201,
    )
    depositor = p.depositor(uuid.uuid4())
    filing = expect(
        await p.client.post(
            "/api/filings",
            headers=depositor,
            json={"repertoire": "rncp", "title": "Dossier", "is_cqp": False, "rests_on_standards": False, **RNCP_FIELDS},
        ),
        201,
    )
    return Uploader(p, onboarding, application["application_id"], depositor, filing["filing_id"])


@pytest.fixture(scope="module")
async def uploads(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Uploader]:
    async with embedded_platform(tmp_path_factory.mktemp("uploads"), max_upload_bytes=40 * MIB) as p:
        yield await make_uploader(p)


async def chunks(data: bytes, size: int = 64 * 1024, pause: float = 0.0) -> AsyncIterator[bytes]:
    """A body sent as a client would stream it (the ASGI transport passes each chunk on)."""
    for start in range(0, len(data), size):
        if pause:
            await asyncio.sleep(pause)
        yield data[start : start + size]


async def send(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], data: bytes, filename: str, **params: Any
) -> httpx.Response:
    return await client.request(
        method,
        url,
        params={"filename": filename, **params},
        headers={**headers, "Content-Type": "application/octet-stream"},
        content=chunks(data),
    )


async def peak_rss_growth(run: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    """The highest resident memory seen while ``run`` ran, minus the one before (sampled
    every 2 ms in a thread), and what ``run`` returned."""
    process = psutil.Process()
    gc.collect()
    base = process.memory_info().rss
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = await run()
    finally:
        done.set()
        sampler.join()
    return max(peak, process.memory_info().rss) - base, result


# ---------------------------------------------------------------------------- point 2


BOMBS: dict[str, Callable[[], bytes]] = {
    "odt-deflate": lambda: bombs.odt_bomb(BOMB_MIB),
    "docx-deflate": lambda: bombs.docx_bomb(BOMB_MIB),
    "odt-bzip2": lambda: bombs.odt_bzip2_bomb(BOMB_MIB),
    "docx-300000-members": lambda: bombs.docx_many_members(300_000),
}


@functools.cache
def made_bombs() -> dict[str, bytes]:
    """Each bomb, made once for the module (the bzip2 one takes seconds)."""
    return {name: make() for name, make in BOMBS.items()}


async def test_decompression_bombs_are_refused_within_a_small_memory_bound(uploads: Uploader) -> None:
    files = made_bombs()
    client = uploads.p.client
    # Warm up: the first upload of each service loads what any upload needs.
    for method, url, headers in uploads.targets():
        expect(await send(client, method, url, headers, PDF, "chauffe.pdf"), 201)
    figures = []
    for method, url, headers in uploads.targets():
        # Four different bombs at once, then each bomb four times at once.
        batches = [list(files.items()), *[[(name, data)] * 4 for name, data in files.items()]]
        for batch in batches:

            async def attack(
                batch: list[tuple[str, bytes]] = batch, method: str = method, url: str = url, headers: dict[str, str] = headers
            ) -> list[httpx.Response]:
                return list(await asyncio.gather(*(send(client, method, url, headers, data, f"{name}.odt") for name, data in batch)))

            growth, answers = await peak_rss_growth(attack)
            label = f"{url.split('/')[2]}: {', '.join(sorted({n for n, _ in batch}))} x{len(batch) // len({n for n, _ in batch})}"
            figures.append(f"{label}: +{growth / MIB:.1f} MiB")
            assert growth < RSS_BOUND, f"{label}: the process grew by {growth / MIB:.0f} MiB (bound {RSS_BOUND / MIB:.0f} MiB)"
            assert all(a.status_code == 415 for a in answers), [(a.status_code, a.text[:200]) for a in answers]
    print("\nresident memory growth during the bombs (bound " + f"{RSS_BOUND // MIB} MiB):\n  " + "\n  ".join(figures))
    # Real documents of the same formats still go through.
    for method, url, headers in uploads.targets():
        for data, kind in ((bombs.real_odt(), "application/vnd.oasis.opendocument.text"), (bombs.real_docx(), "wordprocessingml")):
            answer = expect(await send(client, method, url, headers, data, "vrai-document"), 201)
            assert kind in answer["content_type"]


async def test_the_experts_report_refuses_the_same_bombs_in_a_multipart_answer(uploads: Uploader) -> None:
    """Review's upload (issue 13, point 8): the expert's report, a ``file`` part beside the
    ``answer``. The four bombs at once: refused (415) within the same memory bound, and the
    opinion still awaits its answer; a real DOCX then goes through."""
    p = uploads.p
    filing_id = uuid.uuid4()
    await p.publish(
        FilingSubmitted(
            filing_id=filing_id,
            entity_id=uuid.uuid4(),
            repertoire="rs",
            title="Habilitation",
            is_cqp=False,
            rests_on_standards=False,
            summary="Un dossier.",
            submission_round=1,
            submitted_by=uuid.uuid4(),
            submitted_at=datetime.now(UTC),
            activities=[],
            competences=["Consigner une installation"],
            competence_blocks=[],
            assessment_methods=["Mise en situation"],
            documents=[],
        )
    )
    director = p.token(roles=("director",))
    asked = await p.client.post(
        f"/api/review/cases/{filing_id}/external-opinions", json={"expert": "M. X", "question": "?"}, headers=director
    )
    url = f"/api/review/cases/{filing_id}/external-opinions/{expect(asked, 201)['id']}/answer"
    files = made_bombs()

    # Each multipart body encoded beforehand, then streamed as a client would send it.
    encoded = [httpx.Request("POST", url, data={"answer": "Voir le rapport."}, files={"file": (f"{n}.odt", d)}) for n, d in files.items()]
    bodies = [(r.headers["Content-Type"], r.read()) for r in encoded]

    async def attack() -> list[httpx.Response]:
        return list(
            await asyncio.gather(
                *(p.client.post(url, content=chunks(body), headers={**director, "Content-Type": kind}) for kind, body in bodies)
            )
        )

    growth, answers = await peak_rss_growth(attack)
    print(f"\nresident memory growth during four bombs sent to review at once: +{growth / MIB:.1f} MiB (bound {RSS_BOUND // MIB} MiB)")
    assert all(a.status_code == 415 for a in answers), [(a.status_code, a.text[:200]) for a in answers]
    assert growth < RSS_BOUND, f"the process grew by {growth / MIB:.0f} MiB"
    answered = await p.client.post(
        url, data={"answer": "Voir le rapport."}, files={"file": ("rapport.docx", bombs.real_docx())}, headers=director
    )
    assert "wordprocessingml" in expect(answered, 200)["document"]["content_type"]


# ---------------------------------------------------------------------------- point 6


NAMES = [
    # (name given, content, name stored)
    ("Referentiel.pdf.hta", PDF, "Referentiel.pdf"),
    ("run.bat", PDF, "run.pdf"),
    ("x.html", PDF, "x.pdf"),
    ("photo.JPG", PNG, "photo.png"),
    ("page.svg", PNG, "page.png"),
    ("Rapport final.v2.pdf", PDF, "Rapport_final.v2.pdf"),
    ("statuts.odt", bombs.real_odt(), "statuts.odt"),
    ("statuts.zip", bombs.real_docx(), "statuts.docx"),
    ("", PDF, "document.pdf"),
    ("..\\..\\evil.exe", PDF, "evil.pdf"),
]


@pytest.mark.parametrize(("given", "content", "stored"), NAMES)
async def test_the_stored_and_downloaded_name_carries_the_sniffed_extension(
    uploads: Uploader, given: str, content: bytes, stored: str
) -> None:
    client = uploads.p.client
    for method, url, headers, listing in (
        ("PUT", uploads.entities_url(), uploads.onboarding, f"/api/entities/applications/{uploads.application_id}"),
        ("POST", uploads.filings_url(), uploads.depositor, f"/api/filings/{uploads.filing_id}/documents"),
    ):
        # Raw body with ?filename=, and multipart with the file part's own name.
        raw = expect(await send(client, method, url, headers, content, given), 201)
        answers = [raw]
        if given:  # a multipart part without a file name is a plain field, not a file
            answers.append(expect(await client.request(method, url, headers=headers, files={"file": (given, content, "text/html")}), 201))
        for answer in answers:
            assert answer["filename"] == stored, (url, answer)
        assert stored in (await client.get(listing, headers=headers)).text
        # A draft entity application keeps one file per piece: the last upload replaced the first.
        last = answers[-1]
        download = (
            f"/api/entities/applications/{uploads.application_id}/documents/{last['document_id']}"
            if "entities" in url
            else f"/api/filings/{uploads.filing_id}/documents/{last['document_id']}/content"
        )
        response = await client.get(download, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="{stored}"'
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-type"].split(";")[0] == last["content_type"]


# ---------------------------------------------------------------------------- abuse


POLYGLOT_PDF_HTML = PDF.replace(b"%%EOF", b"<html><script>alert(document.domain)</script></html>\n%%EOF")
HTML_THEN_PDF = b"<html><body><script>alert(1)</script></body></html>\n" + PDF
GIFAR = b"GIF89a" + b"\x00" * 32 + bombs.real_docx()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def test_upload_abuse(uploads: Uploader) -> None:
    client = uploads.p.client
    probes = 0
    for method, url, headers in uploads.targets():
        # Accepted only for what the content is, served as an attachment of that type.
        answer = expect(await send(client, method, url, headers, POLYGLOT_PDF_HTML, "page.html"), 201)
        assert (answer["content_type"], answer["filename"]) == ("application/pdf", "page.pdf")
        for body, name in (
            (HTML_THEN_PDF, "x.pdf"),
            (EXE, "statuts.pdf"),
            (SVG, "logo.png"),
            (GIFAR, "image.gif"),
            (b"\x00" * 100, "a.pdf"),
        ):
            response = await send(client, method, url, headers, body, name)
            assert response.status_code == 415, (name, response.status_code, response.text)
            assert response.json()["code"] == "unsupported_type"
        # Empty, raw and multipart.
        response = await client.request(method, url, headers={**headers, "Content-Type": "application/octet-stream"}, content=b"")
        assert response.status_code == 422 and "vide" in response.text
        response = await client.request(method, url, headers=headers, files={"file": ("vide.pdf", b"", "application/pdf")})
        assert response.status_code == 422
        # Too large: announced, streamed without a length, in a multipart part.
        big = PDF + b"0" * (41 * MIB)
        response = await client.request(
            method, url, headers={**headers, "Content-Type": "application/octet-stream", "Content-Length": str(len(big))}, content=big
        )
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        response = await send(client, method, url, headers, big, "gros.pdf")
        assert response.status_code == 413
        response = await client.request(method, url, headers=headers, files={"file": ("gros.pdf", big, "application/pdf")})
        assert response.status_code == 413
        # Multipart tricks: two files, many fields, no file part, a broken boundary.
        response = await client.request(
            method, url, headers=headers, files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "application/pdf"))]
        )
        assert response.status_code < 500, response.text
        response = await client.request(
            method, url, headers=headers, data={f"f{i}": "x" for i in range(1000)}, files={"file": ("a.pdf", PDF)}
        )
        assert response.status_code < 500, response.text
        response = await client.request(method, url, headers=headers, data={"nothing": "here"}, files={"other": ("", b"")})
        assert response.status_code < 500, response.text
        response = await client.request(
            method, url, headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"}, content=b"--xyz\r\nnot a part"
        )
        assert response.status_code in (400, 422), response.text
        probes += 14
    print(f"\nupload abuse: {probes} hostile uploads, none stored as anything but what its content is, no 5xx")


async def test_a_slow_body_holds_up_no_one(uploads: Uploader) -> None:
    """A client that sends half its upload and then stalls does not hold the other
    requests (each is answered while it waits), and its upload completes when it resumes."""
    client = uploads.p.client
    method, url, headers = uploads.targets()[1]
    resume = asyncio.Event()
    body = PDF + b"\n" * (256 * 1024)

    async def stalling() -> AsyncIterator[bytes]:
        async for chunk in chunks(body[: len(body) // 2], size=4096):
            yield chunk
        await resume.wait()
        async for chunk in chunks(body[len(body) // 2 :], size=4096):
            yield chunk

    slow = asyncio.create_task(
        client.request(
            method,
            url,
            params={"filename": "lent.pdf"},
            headers={**headers, "Content-Type": "application/octet-stream"},
            content=stalling(),
        )
    )
    for _ in range(20):
        expect(await client.get(f"/api/filings/{uploads.filing_id}", headers=headers), 200)
        expect(await send(client, method, url, headers, PDF, "autre.pdf"), 201)
    assert not slow.done()
    resume.set()
    assert (await slow).status_code == 201
    print("\nslow body: 40 other requests answered while an upload stalled half-way; it completed once resumed")
