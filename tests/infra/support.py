"""Helpers for the CDK tests: build the app the way ``app.py`` does, from a context block.

Synth is the slow part (each one starts the jsii runtime's work again), so every test module
builds its apps once in module-scoped fixtures and asserts on the result.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# jsii warns about the Node.js version on every import (see conftest.py); set before aws_cdk loads.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Template

from infra import PROJECT_ROOT
from infra.app_builder import CONTEXT_KEY, build_app
from infra.stack import SubnetMonitorStack

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CDK_JSON = PROJECT_ROOT / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The context of the committed ``cdk.json``: feature flags and the default block."""
    return json.loads(CDK_JSON.read_text())["context"]


@dataclass
class Built:
    app: cdk.App
    stacks: list[SubnetMonitorStack]

    def template(self, index: int = 0) -> Template:
        return Template.from_stack(self.stacks[index])

    def synth(self) -> cdk.cx_api.CloudAssembly:
        """Synthesize the whole app, running the cdk-nag checks (a finding raises)."""
        return self.app.synth()


def build(
    block: dict[str, Any] | None,
    *,
    outdir: Path | None = None,
    account: str | None = ACCOUNT,
    region: str | None = REGION,
) -> Built:
    """The app ``app.py`` would build with ``block`` as the ``subnet-monitor`` context and the
    committed feature flags; ``None`` leaves the key out (every default)."""
    context = {key: value for key, value in cdk_json_context().items() if key != CONTEXT_KEY}
    if block is not None:
        context[CONTEXT_KEY] = block
    app = cdk.App(context=context, outdir=str(outdir) if outdir else None)
    return Built(app, build_app(app, default_account=account, default_region=region))


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(type_)


def only(template: Template, type_: str) -> dict[str, Any]:
    """The properties of the single resource of ``type_``."""
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return next(iter(found.values()))["Properties"]


def collector(template: Template) -> dict[str, Any]:
    """The properties of the collector function (the stack has a second one: the failure function)."""
    from infra.collector import HANDLER  # noqa: PLC0415 - after the jsii settings above

    [found] = [
        resource["Properties"]
        for resource in resources(template, "AWS::Lambda::Function").values()
        if resource["Properties"]["Handler"] == HANDLER
    ]
    return found


def flatten(value: Any) -> str:
    """A CloudFormation string with its tokens replaced by ``<Ref>`` / ``<Logical.Attr>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(flatten(part) for part in parts)
    raise AssertionError(f"unexpected CloudFormation value {value!r}")
