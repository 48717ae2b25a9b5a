"""One synthesized stack for the tests that compare the Grafana dashboards and Prometheus rules
with what the CDK app deploys (synth is the slow part: once per session)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.support import build, flatten, only, resources

# minFreeIps set, so the stack has every alarm it can have; the detailed metrics, so its dashboard has every
# graph it can have (the Grafana boards carry them all).
BLOCK = {"minFreeIps": 16, "metrics": "detailed"}


@pytest.fixture(scope="session")
def stack_template() -> Any:
    return build(BLOCK).template()


@pytest.fixture(scope="session")
def cloudwatch_widgets(stack_template: Any) -> list[dict[str, Any]]:
    """The widgets of the stack's CloudWatch dashboard, tokens flattened to ``<Ref>``."""
    return json.loads(flatten(only(stack_template, "AWS::CloudWatch::Dashboard")["DashboardBody"]))["widgets"]


@pytest.fixture(scope="session")
def alarm_names(stack_template: Any) -> list[str]:
    """The stack's alarm names without the stack-name prefix."""
    return sorted(
        resource["Properties"]["AlarmName"].partition("-")[2]
        for resource in resources(stack_template, "AWS::CloudWatch::Alarm").values()
    )
