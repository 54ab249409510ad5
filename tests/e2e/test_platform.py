"""The distributed platform answers through its gateway, and one trace id runs from a
request at the gateway to the services behind it."""

from __future__ import annotations

import httpx
import pytest

from certreg_contracts.types import SERVICES

pytestmark = pytest.mark.e2e


def test_every_service_is_healthy_and_ready_through_the_gateway(platform) -> None:
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        for name in SERVICES:
            assert client.get(f"/api/{name}/healthz").json() == {"status": "ok", "service": name}
            ready = client.get(f"/api/{name}/readyz")
            assert ready.status_code == 200, ready.text
            assert all(ready.json()["checks"].values())
            assert client.get(f"/api/{name}/openapi.json").json()["info"]["title"] == f"certreg {name}"
        gateway = client.get("/readyz")
        assert gateway.status_code == 200 and set(gateway.json()["checks"]) == set(SERVICES)


def test_unknown_route_and_service_down_answers(platform) -> None:
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        assert client.get("/api/nosuchservice/healthz").status_code == 404
