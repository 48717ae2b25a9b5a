"""The JSON Schemas of the files users write, generated from the models that read them.

``python -m subnet_monitor.schemas --write DIR`` writes ``DIR/<name>.schema.json`` for every entry of
:data:`SCHEMAS`; ``--check DIR`` exits 1 naming each file that differs (CI keeps ``schemas/`` current).
Add a document by adding one line to :data:`SCHEMAS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from subnet_monitor.core.config import MonitorConfig
from subnet_monitor.design.plan import plan_json_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(model: type[BaseModel], title: str) -> dict[str, Any]:
    """``model``'s JSON Schema (keys as users write them), titled, for draft 2020-12."""
    return {"$schema": DRAFT, **model.model_json_schema(by_alias=True), "title": title}


# name -> the schema of that document; written as <name>.schema.json.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "subnet-monitor": lambda: schema_of(MonitorConfig, "subnet-monitor"),
    "plan": plan_json_schema,
}


def render(name: str) -> str:
    """The file text of schema ``name``: sorted keys, indent 2, a trailing newline."""
    return json.dumps(SCHEMAS[name](), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subnet_monitor.schemas", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="DIR", type=Path, help="write every schema into DIR")
    action.add_argument("--check", metavar="DIR", type=Path, help="exit 1 when a schema file in DIR differs")
    args = parser.parse_args(argv)
    stale = []
    for name in SCHEMAS:
        text = render(name)
        path = (args.write or args.check) / f"{name}.schema.json"
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
    for path in stale:
        print(f"{path} differs from the models: run python -m subnet_monitor.schemas --write {path.parent}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
