"""Issue 11, point 18: what every answer says to the browser and the caches.

- JSON answers (errors included), decision letters, ``cases.csv``, every download:
  ``Cache-Control: no-store``, ``nosniff``, a CSP that loads nothing.
- HSTS: on by default in production behind https (``Settings.hsts_header``), an option
  elsewhere; the gateway sends it on every answer, pages and API alike.
- ``/api/*/docs``: Swagger UI outside production only, under a CSP naming its CDN and
  the hash of its inline script; absent in production (the OpenAPI document stays)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import httpx
import pytest

from certreg_runtime.service import build_app
from certreg_runtime.settings import Settings
from certreg_testing.platform import embedded_platform

from .world import World


def assert_private(response: httpx.Response, what: str) -> None:
    assert "no-store" in response.headers.get("cache-control", ""), (what, dict(response.headers))
    assert response.headers.get("x-content-type-options") == "nosniff", what


async def test_api_answers_are_never_cached_nor_sniffed(world: World) -> None:
    await world.refresh()
    a, staff = world.a, world.staff
    answers = {
        "a public JSON list": await world.client.get("/api/review/registry"),
        "a JSON answer": await world.client.get("/api/identity/me", headers=a.manager),
        "a 401": await world.client.get("/api/filings"),
        "a 404": await world.client.get(f"/api/filings/{world.b.filing_id}", headers=a.manager),
        "a 422": await world.client.get("/api/review/registry", params={"limit": 0}),
        "a decision letter": await world.client.get(f"/api/notifier/letters/{a.letter_id}/content", headers=a.manager),
        "cases.csv": await world.client.get("/api/review/cases.csv", headers=staff["reviewer"]),
        "a proof of submission": await world.client.get(f"/api/filings/{a.filing_id}/receipts/{a.receipt_id}/content", headers=a.manager),
        "a piece": await world.client.get(f"/api/filings/{a.filing_id}/documents/{a.document_id}/content", headers=a.manager),
        "the public XML export": await world.client.get("/api/review/registry/export.xml"),
    }
    # The one answer meant to be cached: identity's public keys.
    jwks = await world.client.get("/api/identity/.well-known/jwks.json")
    assert jwks.headers["cache-control"] == "public, max-age=300" and jwks.headers["x-content-type-options"] == "nosniff"
    for what, response in answers.items():
        assert_private(response, what)
        if "json" in response.headers.get("content-type", ""):
            assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'", what
    assert answers["a decision letter"].headers["content-type"] == "application/pdf"
    assert answers["cases.csv"].headers["content-type"].startswith("text/csv")
    # No HSTS outside production unless asked for.
    assert "strict-transport-security" not in answers["a JSON answer"].headers
    print(f"\nheaders: {len(answers)} kinds of answer, each no-store and nosniff")


def test_hsts_is_on_by_default_in_production_behind_https() -> None:
    production = Settings(environment="production", public_url="https://certreg.example.fr", database_url="postgresql://db/{service}")
    assert production.hsts_header() == "max-age=63072000"
    assert production.model_copy(update={"hsts": False}).hsts_header() is None
    assert production.model_copy(update={"hsts_include_subdomains": True}).hsts_header() == "max-age=63072000; includeSubDomains"
    assert Settings(environment="development").hsts_header() is None
    assert Settings(environment="development", hsts=True, hsts_max_age=600).hsts_header() == "max-age=600"


async def test_the_gateway_sends_hsts_on_every_answer_when_enabled(tmp_path) -> None:
    async with embedded_platform(tmp_path, names=("identity", "review"), hsts=True, hsts_max_age=3600) as p:
        for path in ("/", "/connexion", "/static/css/certreg.css", "/api/review/registry", "/api/identity/me", "/nowhere"):
            response = await p.client.get(path)
            assert response.headers.get("strict-transport-security") == "max-age=3600", (path, response.status_code)


async def test_swagger_ui_only_outside_production_and_under_a_strict_csp(world: World) -> None:
    docs = await world.client.get("/api/review/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    csp = docs.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    for script in re.findall(r"<script>(.*?)</script>", docs.text, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert re.findall(r'<script src="([^"]+)"', docs.text) and all(
        src.startswith("https://cdn.jsdelivr.net/") for src in re.findall(r'<script src="([^"]+)"', docs.text)
    )
    # The same service built for production has no docs page, and keeps its OpenAPI document.
    runner = world.p.platform.runners["review"]
    ctx = dataclasses.replace(runner.ctx, settings=runner.ctx.settings.model_copy(update={"environment": "production"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(runner.definition, ctx)), base_url="http://x") as client:
        assert (await client.get("/api/review/docs")).status_code == 404
        assert (await client.get("/api/review/openapi.json")).status_code == 200


@pytest.mark.parametrize("service", ["identity", "entities", "filings", "review", "notifier"])
async def test_every_service_has_the_same_docs_rule(world: World, service: str) -> None:
    response = await world.client.get(f"/api/{service}/docs")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
