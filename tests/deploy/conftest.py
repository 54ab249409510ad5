"""Fixtures of the deployment tests: the Dockerfile, the compose file and the Kustomize
overlays of the repository, parsed (no Docker engine, no cluster needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# Importable by the test modules (pytest runs with --import-mode=importlib).
kustomize = _load_module("certreg_deploy_kustomize", Path(__file__).with_name("kustomize.py"))
helpers = _load_module("certreg_deploy_helpers", Path(__file__).with_name("helpers.py"))


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    return yaml.safe_load((helpers.ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="session")
def example_env() -> dict[str, str]:
    return helpers.read_env_file(helpers.ROOT / "deploy" / "compose" / "example.env")


@pytest.fixture(scope="session")
def compose(compose_raw: dict[str, Any], example_env: dict[str, str]) -> dict[str, Any]:
    """The compose file as `docker compose config` sees it with the example .env."""
    return helpers.interpolate(compose_raw, example_env)
