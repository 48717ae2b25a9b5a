"""The published JSON Schemas are what the models generate, the shipped blocks validate, and the docs
hook renders a reference of every key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from subnet_monitor import schemas
from subnet_monitor.core.config import MonitorConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import schema_reference  # noqa: E402


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_committed_schema_is_what_the_models_generate(name: str) -> None:
    assert (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8") == schemas.render(name)


def test_check_names_a_stale_file_and_write_fixes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "subnet-monitor.schema.json").write_text("{}\n")
    assert schemas.main(["--check", str(tmp_path)]) == 1
    assert "subnet-monitor.schema.json differs" in capsys.readouterr().out
    assert schemas.main(["--write", str(tmp_path)]) == 0
    assert schemas.main(["--check", str(tmp_path)]) == 0


def test_schema_is_draft_2020_12_with_a_description_on_every_key() -> None:
    schema = schemas.SCHEMAS["subnet-monitor"]()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "subnet-monitor"
    for obj in [schema, *schema["$defs"].values()]:
        for key, prop in obj["properties"].items():
            assert prop.get("description"), key


@pytest.mark.parametrize(
    "block",
    [
        json.loads((ROOT / "cdk.json").read_text())["context"]["subnet-monitor"],
        json.loads((ROOT / "demo" / "subnet-monitor.json").read_text()),
    ],
    ids=["cdk.json", "demo"],
)
def test_shipped_blocks_validate(block: dict) -> None:
    MonitorConfig.from_context(block)
    assert set(block) <= set(schemas.SCHEMAS["subnet-monitor"]()["properties"])


def test_docs_hook_renders_every_key() -> None:
    page = "# Configuration\n\n<!-- schema-reference: subnet-monitor -->\n\nAfter."
    rendered = schema_reference.on_page_markdown(page, page=None, config=None, files=None)
    assert "<!-- schema-reference" not in rendered and rendered.endswith("After.")
    for key in schemas.SCHEMAS["subnet-monitor"]()["properties"]:
        assert f"| `{key}` |" in rendered
    assert "### CniBlock" in rendered and "| `warmIpTarget` |" in rendered
    assert "| `warningPercent` | number | `80.0` | > 0, < 100 |" in rendered
