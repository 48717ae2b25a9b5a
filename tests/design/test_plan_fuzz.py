"""Fuzzing the plan reader (issue 14): any document, any bytes, either parse or raise ConfigError."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core.config import ConfigError
from subnet_monitor.design.plan import load_plan, parse_plan

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "plan.json").read_text())
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
PLAN_KEYS = st.sampled_from(sorted(EXAMPLE)) | st.text(max_size=10)


@st.composite
def mutated_plans(draw: st.DrawFn) -> dict[str, Any]:
    """The example plan with a few keys replaced by random values, so validation goes deep."""
    plan = json.loads(json.dumps(EXAMPLE))
    for key in draw(st.lists(PLAN_KEYS, max_size=3)):
        plan[key] = draw(VALUES)
    return plan


@settings(max_examples=200, deadline=None)
@given(VALUES | mutated_plans())
def test_any_document_parses_or_raises_config_error(document: Any) -> None:
    with contextlib.suppress(ConfigError):
        parse_plan(document)


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=200) | VALUES.map(lambda v: json.dumps(v).encode()) | st.text(max_size=200).map(str.encode),
    st.sampled_from([".json", ".yaml"]),
)
def test_any_file_loads_or_raises_config_error_naming_it(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan{suffix}"
        path.write_bytes(content)
        try:
            load_plan(path)
        except ConfigError as error:
            assert error.key == "--plan" or not error.key.startswith("--")
