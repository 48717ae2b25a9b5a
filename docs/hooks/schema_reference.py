"""MkDocs hook: a ``<!-- schema-reference: NAME -->`` line becomes the reference of
``schemas/NAME.schema.json``: one table per object (key, type, default, bounds, description),
nested objects as sections of their own. The schema is generated from the models, so the docs say
what the code accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
MARKER = re.compile(r"^<!-- schema-reference: ([\w-]+) -->$", re.MULTILINE)
BOUNDS = {
    "minimum": "≥ {}",
    "exclusiveMinimum": "> {}",
    "maximum": "≤ {}",
    "exclusiveMaximum": "< {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "pattern": "matches `{}`",
    "enum": "one of {}",
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any, **kwargs: Any) -> str:
    return MARKER.sub(lambda match: reference(match.group(1)), markdown)


def reference(name: str, directory: Path = SCHEMAS) -> str:
    """The Markdown reference of ``directory/name.schema.json``."""
    schema = json.loads((directory / f"{name}.schema.json").read_text(encoding="utf-8"))
    sections = [_table(f"`{name}`", schema)]
    for title, nested in sorted(schema.get("$defs", {}).items()):
        sections.append(_table(title, nested))
    return "\n\n".join(sections) + "\n"


def _table(title: str, schema: dict[str, Any]) -> str:
    rows = ["| Key | Type | Default | Bounds | Description |", "| --- | --- | --- | --- | --- |"]
    for key, prop in schema.get("properties", {}).items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else "required"
        rows.append(f"| `{key}` | {_type(prop)} | {default} | {_bounds(prop)} | {_cell(prop.get('description', ''))} |")
    return f"### {title}\n\n{_cell(schema.get('description', ''))}\n\n" + "\n".join(rows)


def _variants(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return prop.get("anyOf", [prop])


def _type(prop: dict[str, Any]) -> str:
    kinds = []
    for variant in _variants(prop):
        if "$ref" in variant:
            kinds.append(f"[{variant['$ref'].rsplit('/', 1)[-1]}](#{variant['$ref'].rsplit('/', 1)[-1].lower()})")
        elif variant.get("type") == "array":
            kinds.append(f"list of {_type(variant.get('items', {}))}")
        elif variant.get("type") == "object" and _values(variant) is not None:
            kinds.append(f"object of {_type(_values(variant))}")
        else:
            kinds.append(str(variant.get("type", "any")))
    return " or ".join(kinds)


def _values(variant: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a map's values (``additionalProperties: false`` is a closed object, not a map)."""
    values = variant.get("additionalProperties")
    if isinstance(values, dict):
        return values
    return next(iter(variant.get("patternProperties", {}).values()), None)


def _bounds(prop: dict[str, Any]) -> str:
    found = []
    for variant in _variants(prop):
        found += [text.format(variant[key]) for key, text in BOUNDS.items() if key in variant]
        found += [f"keys match `{pattern}`" for pattern in variant.get("patternProperties", {})]
    return _cell(", ".join(found))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
