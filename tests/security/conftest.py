"""Fixtures of the security suite: a populated platform (``world``) shared by the tests
that only read it or add to it, in the embedded mode (SQLite, in-process bus) or on
PostgreSQL and RabbitMQ (``world_on_infra``). Tests that change or destroy what they
find (the fuzzers) build their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from certreg_testing.platform import embedded_platform

from .world import World, build_world


def infra_settings(postgres: Any, amqp_url: str) -> dict[str, Any]:
    from certreg_testing.infra import session_namespace

    # A session's namespace: world_on_infra is first built inside a test (any_world), whose
    # own namespaces are deleted after it.
    return {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": session_namespace()}


@pytest.fixture(scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with embedded_platform(tmp_path_factory.mktemp("security")) as p:
        yield await build_world(p)


@pytest.fixture
async def fresh_world(world: World) -> World:
    """The module's world with new access tokens (they live 15 minutes)."""
    await world.refresh()
    return world


@pytest.fixture(scope="session")
async def world_on_infra(tmp_path_factory: pytest.TempPathFactory, postgres: Any, amqp_url: str) -> AsyncIterator[World]:
    """The same world on PostgreSQL and RabbitMQ."""
    async with embedded_platform(tmp_path_factory.mktemp("security-infra"), **infra_settings(postgres, amqp_url)) as p:
        yield await build_world(p)


@pytest.fixture(params=["embedded", "infra"])
def any_world(request: pytest.FixtureRequest) -> World:
    """The test once in each mode: SQLite and the in-process bus, PostgreSQL and RabbitMQ
    (the test calls ``await world.refresh()`` first)."""
    found: World = request.getfixturevalue("world" if request.param == "embedded" else "world_on_infra")
    return found
