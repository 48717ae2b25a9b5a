"""CloudWatch cross-account observability (optional): a sink in the monitoring account, a link from each other.

With the ``observability`` key set, the stack of the monitoring account creates an ``AWS::Oam::Sink``
whose policy lets the listed accounts or the organization link to it, for metrics and log groups
only; every other stack creates an ``AWS::Oam::Link`` to the sink of its region that shares only
the ``Custom/VPC`` namespace and the monitor's own two log groups. The monitoring account's
Metrics Insights alarms and dashboard queries then see every linked account, and group by
``AWS.AccountId`` as well as ``SubnetId``.

The property shapes follow the CloudFormation resource schemas of ``AWS::Oam::Sink`` (``Policy``:
a JSON object) and ``AWS::Oam::Link`` (``ResourceTypes``, ``SinkIdentifier``, ``LabelTemplate``,
``LinkConfiguration.MetricConfiguration/LogGroupConfiguration.Filter``).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-oam-link.html
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_oam as oam
from constructs import Construct

from subnet_monitor.core.config import ConfigError, ObservabilityConfig
from subnet_monitor.core.metrics import NAMESPACE

# Least privilege: the monitor needs its metrics (dashboard, alarms) and its report logs (Logs
# Insights), nothing else; the sink policy refuses a link asking for traces or any other type.
METRIC_RESOURCE_TYPE = "AWS::CloudWatch::Metric"
LOG_GROUP_RESOURCE_TYPE = "AWS::Logs::LogGroup"
SHARED_RESOURCE_TYPES = (METRIC_RESOURCE_TYPE, LOG_GROUP_RESOURCE_TYPE)
# What a source account may do on the sink: create its link and change it later.
LINK_ACTIONS = ("oam:CreateLink", "oam:UpdateLink")
# How the monitoring account's console labels each source account ($AccountName needs AWS
# Organizations; in GovCloud it resolves to the account ID).
LABEL_TEMPLATE = "$AccountName"
# Link filters (single quotes around names, case-sensitive; at most five conditional operands).
METRIC_FILTER = f"Namespace IN ('{NAMESPACE}')"
# The link template for StackSets (docs/observability.md).
LINK_TEMPLATE = Path(__file__).resolve().parent / "observability-link.template.yaml"


class Role(enum.Enum):
    """What a stack is in the observability setup."""

    NONE = "none"
    MONITORING = "monitoring"
    SOURCE = "source"


def role_of(config: ObservabilityConfig | None, *, account: str, region: str) -> Role:
    """The stack's part: the monitoring account's, a source with a sink in its region, or none.

    >>> config = ObservabilityConfig(
    ...     monitoring_account="999999999999",
    ...     source_accounts=("111111111111",),
    ...     sink_arns={"eu-west-1": "arn:aws:oam:eu-west-1:999999999999:sink/abc"},
    ... )
    >>> [role_of(config, account=a, region=r).value for a, r in (
    ...     ("999999999999", "us-east-1"), ("111111111111", "eu-west-1"), ("111111111111", "us-east-1"))]
    ['monitoring', 'source', 'none']
    """
    if config is None:
        return Role.NONE
    if account == config.monitoring_account:
        return Role.MONITORING
    return Role.SOURCE if region in config.sink_arns else Role.NONE


def stack_role(stack: Stack, config: ObservabilityConfig | None) -> Role:
    """:func:`role_of` for a stack, whose account and region must be known at synth.

    Raises
    ------
    ConfigError
        when ``observability`` is set but the stack's account or region is a deploy-time value.
    """
    if config is None:
        return Role.NONE
    if Token.is_unresolved(stack.account) or Token.is_unresolved(stack.region):
        raise ConfigError(
            "observability",
            config.to_mapping(),
            "needs each stack's account and region at synth to tell the monitoring account from the sources: "
            "list them in environments, or run cdk with credentials for the target account",
        )
    return role_of(config, account=stack.account, region=stack.region)


def sink_policy(*, source_accounts: Sequence[str], organization_id: str | None) -> dict[str, Any]:
    """The sink's resource policy: who may link (accounts, the organization), for which data types.

    >>> policy = sink_policy(source_accounts=["111111111111"], organization_id="o-a1b2c3d4e5")
    >>> [statement["Sid"] for statement in policy["Statement"]]
    ['SourceAccountsLink', 'OrganizationLinks']
    >>> policy["Statement"][1]["Condition"]["StringEquals"]
    {'aws:PrincipalOrgID': 'o-a1b2c3d4e5'}
    """
    # ForAllValues: every resource type the link asks for must be one of these (a subset is fine).
    only_shared_types = {"ForAllValues:StringEquals": {"oam:ResourceTypes": list(SHARED_RESOURCE_TYPES)}}
    statements: list[dict[str, Any]] = []
    if source_accounts:
        statements.append(
            {
                "Sid": "SourceAccountsLink",
                "Effect": "Allow",
                "Principal": {"AWS": list(source_accounts)},
                "Action": list(LINK_ACTIONS),
                "Resource": "*",
                "Condition": only_shared_types,
            }
        )
    if organization_id is not None:
        statements.append(
            {
                "Sid": "OrganizationLinks",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(LINK_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}, **only_shared_types},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def log_group_filter(names: Sequence[str]) -> str:
    """A link filter sharing exactly these log groups (names may be CloudFormation references).

    >>> log_group_filter(["a", "b"])
    "LogGroupName IN ('a', 'b')"
    """
    return "LogGroupName IN ({})".format(", ".join(f"'{name}'" for name in names))


class ObservabilitySink(Construct):
    """The monitoring account's sink (one per account and region) and its policy.

    Attributes
    ----------
    sink
    """

    def __init__(self, scope: Construct, id_: str, *, config: ObservabilityConfig) -> None:
        super().__init__(scope, id_)
        self.sink = oam.CfnSink(
            self,
            "Sink",
            # Sink names allow letters, digits, "_", "." and "-", like stack names; the name is fixed at creation.
            name=Stack.of(self).stack_name,
            policy=sink_policy(source_accounts=config.source_accounts, organization_id=config.organization_id),
        )


class ObservabilityLink(Construct):
    """A source account's link to the sink of its region: the ``Custom/VPC`` metrics and the given log groups.

    Attributes
    ----------
    link
    """

    def __init__(self, scope: Construct, id_: str, *, sink_arn: str, log_group_names: Sequence[str]) -> None:
        super().__init__(scope, id_)
        self.link = oam.CfnLink(
            self,
            "Link",
            sink_identifier=sink_arn,
            resource_types=list(SHARED_RESOURCE_TYPES),
            label_template=LABEL_TEMPLATE,
            link_configuration=oam.CfnLink.LinkConfigurationProperty(
                metric_configuration=oam.CfnLink.LinkFilterProperty(filter=METRIC_FILTER),
                log_group_configuration=oam.CfnLink.LinkFilterProperty(filter=log_group_filter(log_group_names)),
            ),
        )
