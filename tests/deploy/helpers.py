"""Helpers of the deployment tests: the repository's compose file and Kustomize overlays, parsed and rendered, and the
checks of environment variables against ``certreg_runtime.settings.Settings``."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest

from certreg.platform import definitions
from certreg_contracts.types import SERVICES as SERVICES  # re-exported to the tests
from certreg_runtime.settings import Settings

from . import kustomize

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("base", "overlays/dev", "overlays/prod", "overlays/prod-keda")
KUBERNETES_VERSION = "1.30.0"

# Standard OpenTelemetry variables the runtime (the SDK) reads.
OTEL_VARIABLES = {
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_TRACES_EXPORTER",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_RESOURCE_ATTRIBUTES",
}

_rendered: dict[str, list[dict[str, Any]]] = {}


def rendered(overlay: str) -> list[dict[str, Any]]:
    """``kustomize build deploy/k8s/<overlay>`` (a fresh copy each call)."""
    if overlay not in _rendered:
        _rendered[overlay] = kustomize.render(K8S / overlay)
    return copy.deepcopy(_rendered[overlay])


def by_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


# --- settings --------------------------------------------------------------------------


def unknown_variables(names: Any) -> list[str]:
    """The names that are neither a field of Settings or of a service's own settings
    (CERTREG_<FIELD>) nor a standard OpenTelemetry variable: a typo there is silently
    ignored at run time."""
    fields = set(Settings.model_fields)
    for definition in definitions().values():
        if definition.config is not None:
            fields |= set(definition.config.model_fields)
    bad = []
    for name in names:
        if name.startswith("CERTREG_") and name[len("CERTREG_") :].lower() in fields:
            continue
        if name in OTEL_VARIABLES:
            continue
        bad.append(name)
    return bad


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process started with exactly ``env`` would load."""
    for name in list(os.environ):
        if name.startswith("CERTREG_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return Settings()


def check_service(settings: Settings, name: str) -> None:
    """What ``certreg serve <name>`` checks when it starts (``ServiceRunner``): in
    production, refused without its database, broker and object store."""
    settings.check_service(name, stores_blobs=bool(definitions()[name].buckets))


# --- compose ---------------------------------------------------------------------------

_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    pass


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not KEY=VALUE: {line}"
        values[key.strip()] = value.strip()
    return values


def interpolate(value: Any, env: dict[str, str], used: set[str] | None = None) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, used) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, used) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("name") or match.group("bare")
        if used is not None:
            used.add(name)
        op, arg = match.group("op"), match.group("arg")
        present = name in env
        empty = present and env[name] == ""
        if op in (":-", "-"):
            if not present or (op == ":-" and empty):
                return arg
            return env[name]
        if op in (":?", "?"):
            if not present or (op == ":?" and empty):
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    return _INTERPOLATION.sub(one, value)


def certreg_containers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run the certreg image (built from the Dockerfile)."""
    return {name: s for name, s in compose["services"].items() if "build" in s}
