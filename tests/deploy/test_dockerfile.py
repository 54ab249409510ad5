"""The Dockerfile: multi-stage, uv from PyPI, the locked workspace, a non-root final
stage without build tools, a health check, ``certreg`` as the entry point."""

from __future__ import annotations

import glob
import json
import re
import tomllib
from dataclasses import dataclass, field

import pytest

from .helpers import ROOT, unknown_variables


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages): instructions with continuation lines joined."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.IGNORECASE)
            assert match, f"unreadable FROM: {rest}"
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), match.group(1))
            stages.append(Stage(base, match.group(2)))
        elif not stages:
            if keyword == "ARG":
                name, _, default = rest.partition("=")
                args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append((keyword, rest.strip()))
    return args, stages


@pytest.fixture(scope="module")
def dockerfile() -> list[Stage]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())[1]


def exec_form(arg: str) -> list[str]:
    value = json.loads(arg)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arg
    return value


def test_parser_joins_continuations_and_reads_stages() -> None:
    args, stages = parse_dockerfile("ARG IMG=python:3.11-slim\nFROM ${IMG} AS build\n# note\nRUN a \\\n  && b\nFROM ${IMG}\nUSER 10001\n")
    assert args == {"IMG": "python:3.11-slim"}
    assert [(s.base, s.name) for s in stages] == [("python:3.11-slim", "build"), ("python:3.11-slim", None)]
    assert stages[0].all("RUN") == ["a  && b"]
    assert stages[1].all("USER") == ["10001"]


def test_multi_stage_on_python_311_slim(dockerfile: list[Stage]) -> None:
    assert len(dockerfile) >= 2
    assert all(stage.base == "python:3.11-slim" for stage in dockerfile)
    final = dockerfile[-1]
    copied_from = [arg for arg in final.all("COPY") if arg.startswith("--from=")]
    assert copied_from, "the final stage copies the build stage's result"
    assert any(f"--from={dockerfile[0].name}" in arg for arg in copied_from)


def test_build_stage_installs_the_locked_workspace_with_uv_from_pypi(dockerfile: list[Stage]) -> None:
    build = dockerfile[0]
    runs = " ".join(build.all("RUN"))
    assert re.search(r"pip install [^&]*\buv\b", runs), "uv comes from PyPI through pip"
    assert "uv sync --frozen --no-dev --package certreg" in runs
    assert "--all-packages" not in runs, "the dev-only workspace members (certreg-testing) stay out of the image"
    env = " ".join(build.all("ENV"))
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in env


def test_every_workspace_member_is_copied_before_the_dependency_layer(dockerfile: list[Stage]) -> None:
    """uv resolves the workspace from every member's pyproject.toml: a new service that
    is not listed in the Dockerfile would break the image build."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = [path for pattern in root["tool"]["uv"]["workspace"]["members"] for path in sorted(glob.glob(pattern, root_dir=ROOT))]
    assert len(members) >= 8
    copies = dockerfile[0].all("COPY")
    for member in members:
        assert any(arg.split()[0] == f"{member}/pyproject.toml" for arg in copies), f"{member}/pyproject.toml not copied"
    assert any(arg.split()[:2] == ["pyproject.toml", "uv.lock"] for arg in copies)


def test_final_stage_runs_as_a_non_root_user_without_build_tools(dockerfile: list[Stage]) -> None:
    final = dockerfile[-1]
    users = final.all("USER")
    assert users, "the final stage sets a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    runs = " ".join(final.all("RUN"))
    for tool in ("apt-get install", "pip install", "uv ", "gcc", "build-essential"):
        assert tool not in runs, f"{tool!r} in the final stage"


def test_healthcheck_entrypoint_and_default_command(dockerfile: list[Stage]) -> None:
    final = dockerfile[-1]
    healthchecks = final.all("HEALTHCHECK")
    assert len(healthchecks) == 1
    cmd = healthchecks[0].split("CMD", 1)[1].strip()
    argv = exec_form(cmd)
    assert argv[:2] == ["python", "-c"]
    assert "/healthz" in argv[2]
    compile(argv[2], "HEALTHCHECK", "exec")  # the probe itself is valid Python
    assert exec_form(final.all("ENTRYPOINT")[-1]) == ["certreg"]
    assert exec_form(final.all("CMD")[-1]) == ["serve", "gateway"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["certreg"] == "certreg.cli:main"


def test_image_environment_names_are_settings(dockerfile: list[Stage]) -> None:
    names = []
    for arg in dockerfile[-1].all("ENV"):
        names += [m.group(1) for m in re.finditer(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", arg)]
    certreg = [n for n in names if n.startswith("CERTREG_")]
    assert certreg, "the image sets its data dir"
    assert unknown_variables(certreg) == []
    assert "PYTHONDONTWRITEBYTECODE" in names  # the root filesystem may be read-only


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    entries = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    for entry in (".git", ".venv", ".env", "var", "tests"):
        assert entry in entries, entry
