"""Build the CDK app from the ``subnet-monitor`` context block: one stack per target environment.

No environment variables are read and no AWS call is made here; ``app.py`` passes the CLI's
current account and region in.
"""

from __future__ import annotations

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.organization import add_organization
from infra.stack import SubnetMonitorStack
from subnet_monitor.core.config import MonitorConfig, TargetEnvironment

CONTEXT_KEY = "subnet-monitor"
STACK_ID = "SubnetMonitor"
PROJECT_TAG = ("project", "subnet-ip-monitor")


def stack_id(target: TargetEnvironment, *, listed: bool) -> str:
    """``SubnetMonitor`` for the CLI's current environment, ``SubnetMonitor-<account>-<region>`` per listed one."""
    return f"{STACK_ID}-{target.account}-{target.region}" if listed else STACK_ID


def build_app(app: App, *, default_account: str | None, default_region: str | None) -> list[SubnetMonitorStack]:
    """Add the monitor's stacks and the cdk-nag AwsSolutions checks to ``app``.

    Raises
    ------
    ConfigError
        naming the key and the value of the ``subnet-monitor`` block that was refused.
    """
    config = MonitorConfig.from_context(app.node.try_get_context(CONTEXT_KEY))
    listed = bool(config.environments)
    targets = config.environments or (
        TargetEnvironment.model_construct(account=default_account, region=default_region),
    )
    stacks = [
        SubnetMonitorStack(
            app,
            stack_id(target, listed=listed),
            config=config,
            env=Environment(account=target.account, region=target.region),
        )
        for target in targets
    ]
    # With the organization key: the code buckets and the StackSet in the administrator account, too.
    add_organization(app, config, default_region=default_region or targets[0].region)
    Tags.of(app).add(*PROJECT_TAG)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks
