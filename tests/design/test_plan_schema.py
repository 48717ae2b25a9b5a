"""The published JSON Schema of plan files: it is the plan model's, and it takes the example plan."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from subnet_monitor.design.plan import parse_plan, plan_json_schema
from tests.design.test_plan import EXAMPLE

PUBLISHED = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


def _keys(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every key a plan file may hold, with its schema."""
    if isinstance(schema, list):
        return [key for item in schema for key in _keys(item)]
    if not isinstance(schema, dict):
        return []
    found = list(schema.get("properties", {}).items())
    return found + [key for value in schema.values() for key in _keys(value)]


def test_the_schema_describes_every_key_for_editors() -> None:
    schema = plan_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    undescribed = [name for name, key in _keys(schema) if not key.get("description")]
    assert undescribed == []
    assert {"vpcs", "subnets", "$schema", "safetyMarginPercent"} <= set(schema["properties"])


def test_the_example_plan_points_at_the_schema_and_is_a_valid_plan() -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert (EXAMPLE.parent / document["$schema"]).resolve() == PUBLISHED
    assert set(parse_plan(document).subnets) == {s["name"] for s in document["subnets"]}


def test_editors_validating_with_the_schema_take_the_example_and_refuse_an_unknown_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")  # what editors do; not a dependency of the monitor
    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(document)) == []
    wrong = copy.deepcopy(document)
    wrong["subnets"][0]["colour"] = "blue"
    wrong["eksClusters"][0]["nodegroups"][0]["maxSize"] = -1
    assert len(list(validator.iter_errors(wrong))) == 2
