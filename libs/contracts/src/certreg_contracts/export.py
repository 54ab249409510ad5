"""Write the JSON Schemas and the AsyncAPI document to ``libs/contracts/schemas/``.

    python -m certreg_contracts.export [--check] [DIR]

With ``--check`` nothing is written: exit 1 and name the stale files if DIR differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from certreg_contracts.schema import asyncapi, json_schemas

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas"


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """File name -> content, for every file the directory must hold."""
    files = {f"{name}.json": _dump(schema) for name, schema in json_schemas().items()}
    files["asyncapi.json"] = _dump(asyncapi())
    return dict(sorted(files.items()))


def stale(directory: Path) -> dict[str, str]:
    """File name -> why it is stale (``missing``, ``changed``, ``obsolete``); empty when current."""
    expected = render()
    out: dict[str, str] = {}
    for name, text in expected.items():
        path = directory / name
        if not path.is_file():
            out[name] = "missing"
        elif path.read_text(encoding="utf-8") != text:
            out[name] = "changed"
    if directory.is_dir():
        for path in directory.glob("*.json"):
            if path.name not in expected:
                out[path.name] = "obsolete"
    return dict(sorted(out.items()))


def write(directory: Path) -> dict[str, str]:
    """Bring ``directory`` up to date; returns what was stale."""
    todo = stale(directory)
    expected = render()
    directory.mkdir(parents=True, exist_ok=True)
    for name, why in todo.items():
        if why == "obsolete":
            (directory / name).unlink()
        else:
            (directory / name).write_text(expected[name], encoding="utf-8")
    return todo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certreg_contracts.export", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    if args.check:
        todo = stale(args.dir)
        for name, why in todo.items():
            print(f"stale: {args.dir / name} ({why})", file=sys.stderr)
        if todo:
            print("run: python -m certreg_contracts.export", file=sys.stderr)
        return 1 if todo else 0
    for name, why in write(args.dir).items():
        print(f"{'removed' if why == 'obsolete' else 'wrote'} {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
