"""Fixtures of the deployment tests: the Dockerfile, the compose file and the Kustomize
overlays of the repository, parsed (no Docker engine, no cluster needed)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from . import helpers


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((helpers.ROOT / "docker-compose.yml").read_text())
    return raw


@pytest.fixture(scope="session")
def example_env() -> dict[str, str]:
    return helpers.read_env_file(helpers.ROOT / "deploy" / "compose" / "example.env")


@pytest.fixture(scope="session")
def compose(compose_raw: dict[str, Any], example_env: dict[str, str]) -> dict[str, Any]:
    """The compose file as `docker compose config` sees it with the example .env."""
    interpolated: dict[str, Any] = helpers.interpolate(compose_raw, example_env)
    return interpolated
