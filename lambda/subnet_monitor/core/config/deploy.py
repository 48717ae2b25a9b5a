"""The whole ``subnet-monitor`` block of ``cdk.json`` (:class:`MonitorConfig`): the scan keys, the
failure path's keys (:class:`FailureConfig`, the failure function's environment) and the keys only
the deployment reads (schedule, notifications, environments, observability, memory)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, Strict, model_validator

from subnet_monitor.core.config.errors import ConfigError, Model, refuse, refusing, validate
from subnet_monitor.core.config.organization import OrganizationConfig
from subnet_monitor.core.config.scan import Flag, ScanConfig, ScanFields, json_variable, names
from subnet_monitor.core.config.schedule import CRON_PATTERN, NOT_A_SCHEDULE, RATE_PATTERN, schedule_period_seconds

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
# AWS Organizations IDs: "o-" and 10 to 32 lower-case letters or digits.
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
# CloudWatch cross-account observability sink ARNs: arn:<partition>:oam:<region>:<account>:sink/<id>.
SINK_ARN_PATTERN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:oam:[a-z0-9-]+:\d{12}:sink/[A-Za-z0-9-]+$")
SLACK_ID_PATTERN = re.compile(r"^[A-Z0-9]{9,}$")
# AWS::Chatbot::MicrosoftTeamsChannelConfiguration: TeamId and TeamsTenantId are UUIDs; TeamsChannelId is
# URL-encoded (19%3a…%40thread.tacv2, as in the channel's link), the resource schema's patterns.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-chatbot-microsoftteamschannelconfiguration.html
TEAMS_UUID_PATTERN = re.compile(r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
TEAMS_CHANNEL_PATTERN = re.compile(r"^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$")
TEAMS_CHANNEL_MAX = 256
# PagerDuty's Amazon CloudWatch integration URL (US or EU service region), which SNS posts to over HTTPS.
# https://www.pagerduty.com/docs/guides/aws-cloudwatch-integration-guide/
PAGERDUTY_URL_PATTERN = re.compile(r"^https://events(?:\.eu)?\.pagerduty\.com/integration/[0-9A-Za-z]+/enqueue$")
# Opsgenie's Amazon CloudWatch integration URL (US or EU instance), the API key in the query string.
# https://support.atlassian.com/opsgenie/docs/integrate-opsgenie-with-amazon-cloudwatch/
OPSGENIE_URL_PATTERN = re.compile(r"^https://api(?:\.eu)?\.opsgenie\.com/v1/json/cloudwatch\?apiKey=[0-9A-Za-z-]+$")
# Any other receiver: HTTPS only (SNS also takes http://, which would send alarms in clear text).
HTTPS_URL_PATTERN = re.compile(r"^https://[^\s/?#@]+(?:[/?#]\S*)?$")
# A Secrets Manager secret, by name (ASCII letters, digits and /_+=.@-, up to 512) or ARN, whose
# SecretString is the whole URL: the stack refers to it with a dynamic reference resolved at deploy.
# https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
SECRET_ID_PATTERN = re.compile(
    r"^(?:arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$"
)
ENDPOINT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,64}$")
DEFAULT_SCHEDULE = "rate(5 minutes)"
# The collector's memory, which on Lambda also sets its CPU: 1,769 MB is one vCPU, and the share
# scales with memory (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
# 256 MB holds a 10,000-subnet scan (make bench); larger estates buy CPU with more (docs/scale-and-cost.md).
DEFAULT_COLLECTOR_MEMORY_MB = 256
LAMBDA_MEMORY_MIN_MB = 128
LAMBDA_MEMORY_MAX_MB = 10_240
DEFAULT_FAILURE_WINDOW_MINUTES = 15
FAILURE_WINDOW_MAX_MINUTES = 1440  # a day
# The failure function's user settings as one JSON variable, keys as in cdk.json.
ENV_FAILURE_CONFIG = "SUBNET_MONITOR_FAILURE_CONFIG"
# Set by the stack (infra/failures.py), not by the user: where notifications go and their windows are kept.
ENV_FAILURE_TOPIC_ARN = "FAILURE_TOPIC_ARN"
ENV_FAILURE_DEDUP_TABLE = "FAILURE_DEDUP_TABLE"

Account = Annotated[str, Strict(), Field(pattern=ACCOUNT_PATTERN.pattern), refusing("is not a 12-digit account ID")]
Region = Annotated[
    str, Strict(), Field(pattern=REGION_PATTERN.pattern), refusing("is not a region name (e.g. eu-west-1)")
]


def _schedule(expression: Any) -> str:
    try:
        schedule_period_seconds(expression)
    except ConfigError as error:
        raise refuse(error.reason) from None
    return expression


class SlackTarget(Model):
    """An AWS Chatbot (Amazon Q Developer in chat applications) Slack channel the alarms go to."""

    workspace_id: Annotated[
        str, Field(pattern=SLACK_ID_PATTERN.pattern), refusing("is not a Slack ID (upper-case letters and digits)")
    ] = Field(description="The Slack workspace ID (T…), as shown in the AWS Chatbot console.")
    channel_id: Annotated[
        str, Field(pattern=SLACK_ID_PATTERN.pattern), refusing("is not a Slack ID (upper-case letters and digits)")
    ] = Field(description="The Slack channel ID (C…).")


class TeamsTarget(Model):
    """An AWS Chatbot (Amazon Q Developer in chat applications) Microsoft Teams channel the alarms go to."""

    team_id: Annotated[str, Field(pattern=TEAMS_UUID_PATTERN.pattern), refusing("is not a Teams team ID (a UUID)")] = (
        Field(description="The Microsoft Teams team ID (a UUID), as the AWS Chatbot console shows it.")
    )
    channel_id: Annotated[
        str,
        Field(pattern=TEAMS_CHANNEL_PATTERN.pattern, max_length=TEAMS_CHANNEL_MAX),
        refusing("is not a URL-encoded Teams channel ID (19%3a…%40thread.tacv2, as in the channel's link)"),
    ] = Field(description="The channel ID, URL-encoded as in the channel's link: 19%3a…%40thread.tacv2.")
    tenant_id: Annotated[
        str, Field(pattern=TEAMS_UUID_PATTERN.pattern), refusing("is not a Microsoft Entra tenant ID (a UUID)")
    ] = Field(description="The Microsoft Teams (Entra) tenant ID (a UUID).")


SecretId = Annotated[
    str,
    Field(pattern=SECRET_ID_PATTERN.pattern),
    refusing("is not a Secrets Manager secret name or ARN"),
]


def _url_or_secret(target: Model, url_key: str) -> None:
    """Exactly one of ``<url_key>`` and ``<url_key>Secret``: the URL itself or the secret that holds it."""
    values = target.model_dump(by_alias=True, exclude_none=True)
    if (url_key in values) == (f"{url_key}Secret" in values):
        raise ConfigError(
            "",
            values,
            f"needs exactly one of {url_key} and {url_key}Secret (a Secrets Manager secret whose value is the URL)",
        )


class PagerDutyTarget(Model):
    """A PagerDuty service's Amazon CloudWatch integration, subscribed to the paging topic."""

    integration_url: (
        Annotated[
            str,
            Field(pattern=PAGERDUTY_URL_PATTERN.pattern),
            refusing(
                "is not a PagerDuty CloudWatch integration URL (https://events.pagerduty.com/integration/<key>/enqueue)"
            ),
        ]
        | None
    ) = Field(None, description="https://events.pagerduty.com/integration/<key>/enqueue (events.eu… for EU accounts).")
    integration_url_secret: SecretId | None = Field(
        None, description="Instead of integrationUrl: a Secrets Manager secret (name or ARN) whose value is that URL."
    )

    @model_validator(mode="after")
    def _one_url(self) -> PagerDutyTarget:
        _url_or_secret(self, "integrationUrl")
        return self


class OpsgenieTarget(Model):
    """An Opsgenie Amazon CloudWatch integration, subscribed to the paging topic."""

    integration_url: (
        Annotated[
            str,
            Field(pattern=OPSGENIE_URL_PATTERN.pattern),
            refusing(
                "is not an Opsgenie CloudWatch integration URL (https://api.opsgenie.com/v1/json/cloudwatch?apiKey=…)"
            ),
        ]
        | None
    ) = Field(None, description="https://api.opsgenie.com/v1/json/cloudwatch?apiKey=<key> (api.eu… for EU accounts).")
    integration_url_secret: SecretId | None = Field(
        None, description="Instead of integrationUrl: a Secrets Manager secret (name or ARN) whose value is that URL."
    )

    @model_validator(mode="after")
    def _one_url(self) -> OpsgenieTarget:
        _url_or_secret(self, "integrationUrl")
        return self


class HttpsEndpoint(Model):
    """Any other receiver of CloudWatch alarm notifications over HTTPS, subscribed to the paging topic."""

    name: Annotated[
        str, Field(pattern=ENDPOINT_NAME_PATTERN.pattern), refusing("must be 1-64 letters, digits or hyphens")
    ] = Field(description="Names the subscription in the stack (letters, digits, hyphens).")
    url: Annotated[str, Field(pattern=HTTPS_URL_PATTERN.pattern), refusing("is not an https:// URL")] | None = Field(
        None, description="The receiver's https:// URL."
    )
    url_secret: SecretId | None = Field(
        None, description="Instead of url: a Secrets Manager secret (name or ARN) whose value is the URL."
    )
    raw_message_delivery: Flag = Field(
        False, description="Post the alarm JSON alone instead of SNS's JSON envelope around it."
    )

    @model_validator(mode="after")
    def _one_url(self) -> HttpsEndpoint:
        _url_or_secret(self, "url")
        return self


def _names_once(endpoints: tuple[HttpsEndpoint, ...]) -> tuple[HttpsEndpoint, ...]:
    names = [endpoint.name for endpoint in endpoints]
    if len(set(names)) != len(names):
        raise refuse("names an endpoint twice")
    return endpoints


class TargetEnvironment(Model):
    """One account and region the stack is deployed to. (``None`` for either, which only the app
    builds, means the CLI's current one.)"""

    account: Account = Field(description="The 12-digit AWS account ID.")
    region: Region = Field(description="The AWS Region name, e.g. eu-west-1.")


def _once_each(environments: tuple[TargetEnvironment, ...]) -> tuple[TargetEnvironment, ...]:
    if len(set(environments)) != len(environments):
        raise refuse("lists an account/region twice")
    return environments


class ObservabilityConfig(Model):
    """CloudWatch cross-account observability: a sink in one monitoring account, links from the others.

    The stack deployed to the monitoring account creates the sink (unless createSink is false: the
    account already has one, and an account holds one sink per region) and groups its dashboard and
    per-subnet alarms by account. Every other stack links to the sink of its region in sinkArns; a
    region without an entry gets no link (a link must be in its sink's region).
    """

    monitoring_account: Account = Field(description="The 12-digit ID of the account that holds the sink.")
    source_accounts: names(ACCOUNT_PATTERN, "is not a 12-digit account ID") = Field(  # type: ignore[valid-type]
        (), description="12-digit IDs of the accounts whose stacks may link to the sink."
    )
    organization_id: (
        Annotated[
            str,
            Field(pattern=ORGANIZATION_ID_PATTERN.pattern),
            refusing("is not an AWS Organizations ID (o- and 10-32 characters)"),
        ]
        | None
    ) = Field(None, description="Every account of this AWS Organization (o-…) may link to the sink.")
    sink_arns: Annotated[
        dict[
            Region,
            Annotated[
                str,
                Field(pattern=SINK_ARN_PATTERN.pattern),
                refusing("is not a sink ARN (arn:aws:oam:<region>:<account>:sink/<id>)"),
            ],
        ],
        refusing('must be an object of region to sink ARN, e.g. {"eu-west-1": "arn:aws:oam:…"}'),
    ] = Field(default_factory=dict, description="The monitoring account's sink ARN by region, for the links.")
    create_sink: Flag = Field(
        True, description="The monitoring account's stack creates the sink; false when the account already has one."
    )

    @model_validator(mode="after")
    def _links_can_be_made(self) -> ObservabilityConfig:
        if self.monitoring_account in self.source_accounts:
            raise ConfigError(
                "sourceAccounts",
                self.monitoring_account,
                "is the monitoring account: it sees its own metrics without a link, and cannot link to its own sink",
            )
        if self.create_sink and not self.source_accounts and self.organization_id is None:
            raise ConfigError(
                "",
                self.model_dump(by_alias=True, mode="json", exclude_unset=True),
                "names no one who may link: the sink policy needs sourceAccounts, organizationId or both",
            )
        for region, arn in self.sink_arns.items():
            arn_region, account = arn.split(":")[3:5]
            if arn_region != region:
                raise ConfigError(
                    f"sinkArns.{region}", arn, f"is in {arn_region}: a link must be in its sink's region ({region})"
                )
            if account != self.monitoring_account:
                raise ConfigError(
                    f"sinkArns.{region}", arn, f"is not in the monitoring account {self.monitoring_account}"
                )
        return self

    @classmethod
    def from_value(cls, value: Any) -> ObservabilityConfig | None:
        """Validate the ``observability`` key; ``None`` (the default) sets nothing up.

        Raises
        ------
        ConfigError
            naming ``observability`` or the sub-key whose value is refused.
        """
        return None if value is None else validate(cls, value, name="observability")

    def to_mapping(self) -> dict[str, Any]:
        """The ``observability`` value that produces this object (inverse of from_value)."""
        return self.model_dump(by_alias=True, mode="json", exclude_defaults=True)


class FailureFields(Model):
    """The failure path's keys, shared by :class:`FailureConfig` and the whole block's model."""

    window_minutes: Annotated[
        int,
        Strict(),
        Field(ge=1, le=FAILURE_WINDOW_MAX_MINUTES),
        refusing(f"must be a whole number of minutes from 1 to {FAILURE_WINDOW_MAX_MINUTES}"),
    ] = Field(
        DEFAULT_FAILURE_WINDOW_MINUTES,
        alias="failureNotificationWindowMinutes",
        description="Minutes: at most one failure notification per subnet (or per workload, when the failure names "
        "no subnet) in this window; every failure is still counted. From 1 to 1440.",
    )
    cloudtrail: Flag = Field(
        False,
        alias="cloudTrailFailures",
        description="Add the CloudTrail rules (failed CreateNetworkInterface, AssignPrivateIpAddresses, "
        "RunInstances); needs a CloudTrail trail in the region.",
    )


class FailureConfig(FailureFields):
    """Failures that already happened (a task, an instance or a node that got no address): at most one
    notification per subnet per ``window_minutes``; the optional CloudTrail signal."""

    def to_mapping(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)

    def to_env(self) -> dict[str, str]:
        """The failure function's environment; :meth:`from_env` reads it back identically."""
        return {ENV_FAILURE_CONFIG: self.model_dump_json(by_alias=True)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FailureConfig:
        """Parse :meth:`to_env`'s rendering; without the variable, every default.

        Raises
        ------
        ConfigError
            naming the variable (and the key in it) whose value is refused.
        """
        return validate(cls, json_variable(env, ENV_FAILURE_CONFIG), name=ENV_FAILURE_CONFIG)


class MonitorConfig(ScanFields, FailureFields):
    """The subnet-monitor block of cdk.json (context): what the monitor scans, how it judges a subnet,
    and how it is deployed. Every key is optional."""

    schedule: Annotated[
        str,
        Field(pattern=rf"{RATE_PATTERN.pattern}|{CRON_PATTERN.pattern}"),
        refusing(NOT_A_SCHEDULE),
        AfterValidator(_schedule),
    ] = Field(
        DEFAULT_SCHEDULE,
        description="How often the collector scans: an EventBridge rate() or cron() expression. A rate's unit is "
        "singular for 1 only: rate(1 minute), rate(5 minutes).",
    )
    notification_emails: names(EMAIL_PATTERN, "is not an e-mail address") = Field(  # type: ignore[valid-type]
        (), description="E-mail addresses subscribed to the alarm topic (each confirms the subscription)."
    )
    slack: (
        Annotated[
            SlackTarget,
            refusing('must be {"workspaceId": "T…", "channelId": "C…"}', shape=("missing", "extra_forbidden")),
        ]
        | None
    ) = Field(None, description="A Slack channel for the alarms, through AWS Chatbot; null = none.")
    teams: (
        Annotated[
            TeamsTarget,
            refusing(
                'must be {"teamId": "<uuid>", "channelId": "19%3a…%40thread.tacv2", "tenantId": "<uuid>"}',
                shape=("missing", "extra_forbidden"),
            ),
        ]
        | None
    ) = Field(None, description="A Microsoft Teams channel for the alarms, through AWS Chatbot; null = none.")
    pagerduty: (
        Annotated[
            PagerDutyTarget,
            refusing(
                'must be {"integrationUrl": "https://events.pagerduty.com/integration/<key>/enqueue"}',
                shape=("extra_forbidden",),
            ),
        ]
        | None
    ) = Field(None, description="A PagerDuty CloudWatch integration paged by the alarms; null = none.")
    opsgenie: (
        Annotated[
            OpsgenieTarget,
            refusing(
                'must be {"integrationUrl": "https://api.opsgenie.com/v1/json/cloudwatch?apiKey=<key>"}',
                shape=("extra_forbidden",),
            ),
        ]
        | None
    ) = Field(None, description="An Opsgenie CloudWatch integration paged by the alarms; null = none.")
    https_endpoints: Annotated[
        tuple[
            Annotated[
                HttpsEndpoint,
                refusing('must be {"name": "…", "url": "https://…"}', shape=("extra_forbidden",)),
            ],
            ...,
        ],
        refusing('must be a list of {"name": "…", "url": "https://…"}'),
        AfterValidator(_names_once),
    ] = Field((), description="Other HTTPS receivers of the CloudWatch alarm notifications (the paging topic).")
    environments: Annotated[
        tuple[
            Annotated[
                TargetEnvironment,
                refusing('must be {"account": "123456789012", "region": "eu-west-1"}', shape=("extra_forbidden",)),
            ],
            ...,
        ],
        AfterValidator(_once_each),
        refusing('must be a list of {"account": "123456789012", "region": "eu-west-1"}'),
    ] = Field(
        (),
        description="The accounts and regions to deploy one stack each to; empty = the CLI's current account and "
        "region.",
    )
    observability: (
        Annotated[
            ObservabilityConfig,
            refusing(
                'must be {"monitoringAccount": "123456789012", "sourceAccounts": [...], "organizationId": "o-…", '
                '"sinkArns": {"<region>": "arn:aws:oam:…"}} or null'
            ),
        ]
        | None
    ) = Field(None, description="CloudWatch cross-account observability; null = none.")
    organization: (
        Annotated[
            OrganizationConfig,
            refusing(
                'must be {"organizationId": "o-…", "administratorAccount": "123456789012", '
                '"targets": {"organizationalUnitIds": ["ou-…"]}, "regions": [...]} or null',
            ),
        ]
        | None
    ) = Field(None, description="Roll the monitor out to an AWS Organization with a StackSet; null = none.")
    collector_memory_mb: Annotated[
        int,
        Strict(),
        Field(ge=LAMBDA_MEMORY_MIN_MB, le=LAMBDA_MEMORY_MAX_MB),
        refusing(
            f"must be a whole number of MB from {LAMBDA_MEMORY_MIN_MB} to {LAMBDA_MEMORY_MAX_MB} (Lambda's range)"
        ),
    ] = Field(
        DEFAULT_COLLECTOR_MEMORY_MB,
        description="The collector's memory in MB, which also sets its CPU share; from 128 to 10240. 256 holds a "
        "10,000-subnet scan.",
    )

    @classmethod
    def from_context(cls, raw: Any) -> MonitorConfig:
        """Parse the ``subnet-monitor`` context block; ``None`` gives every default.

        Raises
        ------
        ConfigError
            naming the first key whose value is refused.
        """
        return validate(cls, {} if raw is None else raw)

    @property
    def scan(self) -> ScanConfig:
        return ScanConfig.model_construct(**{name: getattr(self, name) for name in ScanFields.model_fields})

    @property
    def failures(self) -> FailureConfig:
        return FailureConfig.model_construct(**{name: getattr(self, name) for name in FailureFields.model_fields})
