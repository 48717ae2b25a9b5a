"""The monitor's configuration: one validated source of truth.

The ``subnet-monitor`` block of ``cdk.json`` is parsed here at synth time
(:meth:`MonitorConfig.from_context`); its scan part renders the Lambda's environment
(:meth:`ScanConfig.to_env`) and the Lambda parses the same keys back
(:meth:`ScanConfig.from_env`). The CLI builds the same mapping from its flags and goes
through :meth:`ScanConfig.from_mapping`, so every door refuses the same bad values with
the same messages. Pure Python: no AWS imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from subnet_monitor.core.capacity import CniSettings

# Subnet IDs are "subnet-" + 8 (legacy) or 17 hexadecimal characters.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Subnet.html
SUBNET_ID_PATTERN = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# ECS cluster names: up to 255 letters, numbers, underscores and hyphens; EKS cluster
# names: 1-100 characters, alphanumeric start, then alphanumerics, hyphens, underscores.
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
# AWS Organizations IDs: "o-" and 10 to 32 lower-case letters or digits.
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
# CloudWatch cross-account observability sink ARNs: arn:<partition>:oam:<region>:<account>:sink/<id>.
SINK_ARN_PATTERN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:oam:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):sink/[A-Za-z0-9-]+$"
)
# EventBridge schedule expressions:
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
RATE_PATTERN = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_PATTERN = re.compile(r"^cron\((\S+ ){5}\S+\)$")
SECONDS_PER_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
# Lambda caps the total size of a function's environment variables at 4 KB.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
# EC2 tag keys are at most 128 characters and values at most 256.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256

DEFAULT_SCHEDULE = "rate(5 minutes)"
# The collector's memory, which on Lambda also sets its CPU: 1,769 MB is one vCPU, and the share
# scales with memory (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
# 256 MB holds a 10,000-subnet scan (make bench); larger estates buy CPU with more (README "Scale").
DEFAULT_COLLECTOR_MEMORY_MB = 256
LAMBDA_MEMORY_MIN_MB = 128
LAMBDA_MEMORY_MAX_MB = 10_240
DEFAULT_WARNING_PERCENT = 80.0
DEFAULT_CRITICAL_PERCENT = 90.0
DEFAULT_MIN_FREE_PREFIX_BLOCKS = 1
DEFAULT_EXHAUSTION_HORIZON_HOURS = 168.0  # 7 days
# cdk.json key -> CniSettings field, for the per-cluster VPC CNI settings.
CNI_KEYS = {
    "prefixDelegation": "prefix_delegation",
    "warmEniTarget": "warm_eni_target",
    "warmIpTarget": "warm_ip_target",
    "minimumIpTarget": "minimum_ip_target",
    "warmPrefixTarget": "warm_prefix_target",
    "maxPods": "max_pods",
}

# The environment variables the Lambda reads; ScanConfig.to_env renders exactly these.
ENV_DISCOVER_ECS = "DISCOVER_ECS"
ENV_DISCOVER_EKS = "DISCOVER_EKS"
ENV_CLUSTERS = "CLUSTERS"
ENV_SUBNET_IDS = "SUBNET_IDS"
ENV_SUBNET_TAGS = "SUBNET_TAGS"
ENV_ALL_SUBNETS = "ALL_SUBNETS"
ENV_WARNING_PERCENT = "WARNING_PERCENT"
ENV_CRITICAL_PERCENT = "CRITICAL_PERCENT"
ENV_MIN_FREE_IPS = "MIN_FREE_IPS"
ENV_CNI_SETTINGS = "CNI_SETTINGS"
ENV_FARGATE_MAX_PODS = "FARGATE_MAX_PODS"
ENV_MIN_FREE_PREFIX_BLOCKS = "MIN_FREE_PREFIX_BLOCKS"
ENV_EXHAUSTION_HORIZON_HOURS = "EXHAUSTION_HORIZON_HOURS"
# Failure notifications (the event function's environment, FailureConfig.to_env).
DEFAULT_FAILURE_WINDOW_MINUTES = 15
FAILURE_WINDOW_MAX_MINUTES = 1440  # a day
ENV_FAILURE_WINDOW_MINUTES = "FAILURE_WINDOW_MINUTES"
ENV_CLOUDTRAIL_FAILURES = "CLOUDTRAIL_FAILURES"
# Set by the stack (infra/failures.py), not by the user: where notifications go and their windows are kept.
ENV_FAILURE_TOPIC_ARN = "FAILURE_TOPIC_ARN"
ENV_FAILURE_DEDUP_TABLE = "FAILURE_DEDUP_TABLE"


class ConfigError(ValueError):
    """A configuration value was refused; the message names the key and the value."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        super().__init__(f"{key}: {value!r} {reason}")


@dataclass(frozen=True)
class TagSelector:
    """Select subnets by tag: every key must match (AND), any listed value of a key (OR).

    An empty ``values`` tuple means "the key is present, any value".
    """

    key: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanConfig:
    """What one scan discovers and how it judges a subnet."""

    discover_ecs: bool = True
    discover_eks: bool = True
    clusters: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    subnet_tags: tuple[TagSelector, ...] = ()
    all_subnets: bool = False
    warning_percent: float = DEFAULT_WARNING_PERCENT
    critical_percent: float = DEFAULT_CRITICAL_PERCENT
    min_free_ips: int | None = None
    # VPC CNI settings per EKS cluster name; a cluster not listed runs the CNI's defaults.
    cni: Mapping[str, CniSettings] = field(default_factory=dict)
    # The most pods an EKS Fargate profile may run, by "cluster/profile".
    fargate_max_pods: Mapping[str, int] = field(default_factory=dict)
    min_free_prefix_blocks: int = DEFAULT_MIN_FREE_PREFIX_BLOCKS
    exhaustion_horizon_hours: float = DEFAULT_EXHAUSTION_HORIZON_HOURS

    # Keys of the cdk.json block (and of the CLI's mapping) that belong to the scan.
    KEYS = (
        "discoverEcs",
        "discoverEks",
        "clusters",
        "subnetIds",
        "subnetTags",
        "allSubnets",
        "warningPercent",
        "criticalPercent",
        "minFreeIps",
        "cni",
        "fargateMaxPods",
        "minFreePrefixBlocks",
        "exhaustionHorizonHours",
    )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ScanConfig:
        """Validate the scan keys of a ``subnet-monitor`` mapping (unknown keys are refused).

        Raises
        ------
        ConfigError
            naming the first key whose value is refused.
        """
        unknown = sorted(set(raw) - set(cls.KEYS))
        if unknown:
            raise ConfigError(unknown[0], raw[unknown[0]], f"is not a known key; known: {', '.join(cls.KEYS)}")
        warning = _percent(raw, "warningPercent", DEFAULT_WARNING_PERCENT)
        critical = _percent(raw, "criticalPercent", DEFAULT_CRITICAL_PERCENT)
        if warning >= critical:
            raise ConfigError("warningPercent", warning, f"must be below criticalPercent ({critical:g})")
        return cls(
            discover_ecs=_bool(raw, "discoverEcs", True),
            discover_eks=_bool(raw, "discoverEks", True),
            clusters=_names(raw, "clusters", CLUSTER_NAME_PATTERN, "is not a valid ECS/EKS cluster name"),
            subnet_ids=_names(raw, "subnetIds", SUBNET_ID_PATTERN, "is not a subnet ID (subnet-0123abcd…)"),
            subnet_tags=_tag_selectors(raw.get("subnetTags", {})),
            all_subnets=_bool(raw, "allSubnets", False),
            warning_percent=warning,
            critical_percent=critical,
            min_free_ips=_optional_count(raw, "minFreeIps"),
            cni=_cni(raw.get("cni", {})),
            fargate_max_pods=_fargate_max_pods(raw.get("fargateMaxPods", {})),
            min_free_prefix_blocks=_optional_count(raw, "minFreePrefixBlocks") or 0
            if "minFreePrefixBlocks" in raw
            else DEFAULT_MIN_FREE_PREFIX_BLOCKS,
            exhaustion_horizon_hours=_positive(raw, "exhaustionHorizonHours", DEFAULT_EXHAUSTION_HORIZON_HOURS),
        )

    def to_mapping(self) -> dict[str, Any]:
        """The ``subnet-monitor`` keys that produce this object (inverse of from_mapping)."""
        mapping: dict[str, Any] = {
            "discoverEcs": self.discover_ecs,
            "discoverEks": self.discover_eks,
            "clusters": list(self.clusters),
            "subnetIds": list(self.subnet_ids),
            "subnetTags": {s.key: list(s.values) if s.values else "*" for s in self.subnet_tags},
            "allSubnets": self.all_subnets,
            "warningPercent": self.warning_percent,
            "criticalPercent": self.critical_percent,
        }
        if self.min_free_ips is not None:
            mapping["minFreeIps"] = self.min_free_ips
        mapping["cni"] = {
            cluster: {key: getattr(settings, name) for key, name in CNI_KEYS.items()}
            for cluster, settings in self.cni.items()
        }
        mapping["fargateMaxPods"] = dict(self.fargate_max_pods)
        mapping["minFreePrefixBlocks"] = self.min_free_prefix_blocks
        mapping["exhaustionHorizonHours"] = self.exhaustion_horizon_hours
        return mapping

    def to_env(self) -> dict[str, str]:
        """Render the Lambda environment; :meth:`from_env` reads it back identically.

        Raises
        ------
        ConfigError
            when the rendering exceeds Lambda's 4 KB environment limit.
        """
        env = {
            ENV_DISCOVER_ECS: _flag(self.discover_ecs),
            ENV_DISCOVER_EKS: _flag(self.discover_eks),
            ENV_CLUSTERS: ",".join(self.clusters),
            ENV_SUBNET_IDS: ",".join(self.subnet_ids),
            ENV_SUBNET_TAGS: json.dumps(self.to_mapping()["subnetTags"], separators=(",", ":")),
            ENV_ALL_SUBNETS: _flag(self.all_subnets),
            ENV_WARNING_PERCENT: repr(self.warning_percent),  # repr: exact round trip
            ENV_CRITICAL_PERCENT: repr(self.critical_percent),
            ENV_MIN_FREE_IPS: "" if self.min_free_ips is None else str(self.min_free_ips),
            ENV_CNI_SETTINGS: json.dumps(self.to_mapping()["cni"], separators=(",", ":")) if self.cni else "",
            ENV_FARGATE_MAX_PODS: json.dumps(dict(self.fargate_max_pods), separators=(",", ":"))
            if self.fargate_max_pods
            else "",
            ENV_MIN_FREE_PREFIX_BLOCKS: str(self.min_free_prefix_blocks),
            ENV_EXHAUSTION_HORIZON_HOURS: repr(self.exhaustion_horizon_hours),
        }
        size = sum(len(k) + len(v) for k, v in env.items())
        if size > LAMBDA_ENVIRONMENT_MAX_BYTES:
            raise ConfigError(
                "subnetIds",
                f"{len(self.subnet_ids)} IDs",
                f"render a {size}-byte Lambda environment, over the {LAMBDA_ENVIRONMENT_MAX_BYTES}-byte limit; "
                "select that many subnets with subnetTags instead",
            )
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ScanConfig:
        """Parse the Lambda environment rendered by :meth:`to_env`; absent keys take defaults.

        Raises
        ------
        ConfigError
            naming the environment variable whose value is refused.
        """
        raw: dict[str, Any] = {}
        for name, key in (
            (ENV_DISCOVER_ECS, "discoverEcs"),
            (ENV_DISCOVER_EKS, "discoverEks"),
            (ENV_ALL_SUBNETS, "allSubnets"),
        ):
            if env.get(name, "") != "":
                raw[key] = _parse_flag(name, env[name])
        for name, key in ((ENV_CLUSTERS, "clusters"), (ENV_SUBNET_IDS, "subnetIds")):
            if env.get(name, "") != "":
                raw[key] = [item.strip() for item in env[name].split(",")]
        for name, key in (
            (ENV_SUBNET_TAGS, "subnetTags"),
            (ENV_CNI_SETTINGS, "cni"),
            (ENV_FARGATE_MAX_PODS, "fargateMaxPods"),
        ):
            if env.get(name, "") != "":
                try:
                    raw[key] = json.loads(env[name])
                except json.JSONDecodeError as error:
                    raise ConfigError(name, env[name], f"is not JSON ({error.msg})") from error
        for name, key in ((ENV_WARNING_PERCENT, "warningPercent"), (ENV_CRITICAL_PERCENT, "criticalPercent")):
            if env.get(name, "") != "":
                raw[key] = _parse_number(name, env[name], float)
        if env.get(ENV_MIN_FREE_IPS, "") != "":
            raw["minFreeIps"] = _parse_number(ENV_MIN_FREE_IPS, env[ENV_MIN_FREE_IPS], int)
        if env.get(ENV_MIN_FREE_PREFIX_BLOCKS, "") != "":
            raw["minFreePrefixBlocks"] = _parse_number(ENV_MIN_FREE_PREFIX_BLOCKS, env[ENV_MIN_FREE_PREFIX_BLOCKS], int)
        if env.get(ENV_EXHAUSTION_HORIZON_HOURS, "") != "":
            raw["exhaustionHorizonHours"] = _parse_number(
                ENV_EXHAUSTION_HORIZON_HOURS, env[ENV_EXHAUSTION_HORIZON_HOURS], float
            )
        return cls.from_mapping(raw)


@dataclass(frozen=True)
class SlackTarget:
    """An AWS Chatbot (Amazon Q Developer in chat applications) Slack channel."""

    workspace_id: str
    channel_id: str


@dataclass(frozen=True)
class TargetEnvironment:
    """One account/region the stack is deployed to; ``None`` means the CLI's current one."""

    account: str | None
    region: str | None


@dataclass(frozen=True)
class ObservabilityConfig:
    """CloudWatch cross-account observability: a sink in one monitoring account, links from the others.

    The stack deployed to ``monitoring_account`` creates the sink (unless ``create_sink`` is false:
    the account already has one, and an account holds one sink per region) and groups its dashboard
    and per-subnet alarms by account. Every other stack links to ``sink_arns[<its region>]``; a
    region without an entry gets no link (a link must be in its sink's region).
    """

    monitoring_account: str
    source_accounts: tuple[str, ...] = ()
    organization_id: str | None = None
    sink_arns: Mapping[str, str] = field(default_factory=dict)
    create_sink: bool = True

    KEYS = ("monitoringAccount", "sourceAccounts", "organizationId", "sinkArns", "createSink")

    @classmethod
    def from_value(cls, value: Any) -> ObservabilityConfig | None:
        """Validate the ``observability`` key; ``None`` (the default) sets nothing up.

        Raises
        ------
        ConfigError
            naming ``observability`` or the sub-key whose value is refused.
        """
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ConfigError(
                "observability",
                value,
                'must be {"monitoringAccount": "123456789012", "sourceAccounts": [...], "organizationId": "o-…", '
                '"sinkArns": {"<region>": "arn:aws:oam:…"}} or null',
            )
        unknown = sorted(set(value) - set(cls.KEYS))
        if unknown:
            raise ConfigError(
                f"observability.{unknown[0]}", value[unknown[0]], f"is not a known key; known: {', '.join(cls.KEYS)}"
            )
        monitoring = value.get("monitoringAccount")
        if not isinstance(monitoring, str) or not ACCOUNT_PATTERN.match(monitoring):
            raise ConfigError("observability.monitoringAccount", monitoring, "is not a 12-digit account ID")
        sources = _names(value, "sourceAccounts", ACCOUNT_PATTERN, "is not a 12-digit account ID", "observability.")
        if monitoring in sources:
            raise ConfigError(
                "observability.sourceAccounts",
                monitoring,
                "is the monitoring account: it sees its own metrics without a link, and cannot link to its own sink",
            )
        organization = value.get("organizationId")
        if organization is not None and (
            not isinstance(organization, str) or not ORGANIZATION_ID_PATTERN.match(organization)
        ):
            raise ConfigError(
                "observability.organizationId", organization, "is not an AWS Organizations ID (o- and 10-32 characters)"
            )
        create_sink = _bool(value, "createSink", True, "observability.")
        if create_sink and not sources and organization is None:
            raise ConfigError(
                "observability",
                dict(value),
                "names no one who may link: the sink policy needs sourceAccounts, organizationId or both",
            )
        return cls(
            monitoring_account=monitoring,
            source_accounts=sources,
            organization_id=organization,
            sink_arns=_sink_arns(value.get("sinkArns", {}), monitoring),
            create_sink=create_sink,
        )

    def to_mapping(self) -> dict[str, Any]:
        """The ``observability`` value that produces this object (inverse of from_value)."""
        mapping: dict[str, Any] = {"monitoringAccount": self.monitoring_account}
        if self.source_accounts:
            mapping["sourceAccounts"] = list(self.source_accounts)
        if self.organization_id is not None:
            mapping["organizationId"] = self.organization_id
        if self.sink_arns:
            mapping["sinkArns"] = dict(self.sink_arns)
        mapping["createSink"] = self.create_sink
        return mapping


@dataclass(frozen=True)
class FailureConfig:
    """Failures that already happened (a task, an instance or a node that got no address): at most one
    notification per subnet per ``window_minutes``; the optional CloudTrail signal."""

    window_minutes: int = DEFAULT_FAILURE_WINDOW_MINUTES
    cloudtrail: bool = False

    KEYS = ("failureNotificationWindowMinutes", "cloudTrailFailures")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> FailureConfig:
        """Validate the failure keys of a ``subnet-monitor`` mapping.

        Raises
        ------
        ConfigError
            naming the key whose value is refused.
        """
        window = _whole_number(
            raw,
            "failureNotificationWindowMinutes",
            DEFAULT_FAILURE_WINDOW_MINUTES,
            low=1,
            high=FAILURE_WINDOW_MAX_MINUTES,
            unit="minutes",
        )
        return cls(window_minutes=window, cloudtrail=_bool(raw, "cloudTrailFailures", False))

    def to_mapping(self) -> dict[str, Any]:
        return {"failureNotificationWindowMinutes": self.window_minutes, "cloudTrailFailures": self.cloudtrail}

    def to_env(self) -> dict[str, str]:
        """The event function's environment; :meth:`from_env` reads it back identically."""
        return {ENV_FAILURE_WINDOW_MINUTES: str(self.window_minutes), ENV_CLOUDTRAIL_FAILURES: _flag(self.cloudtrail)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FailureConfig:
        """Parse :meth:`to_env`'s rendering; absent keys take defaults.

        Raises
        ------
        ConfigError
            naming the environment variable whose value is refused.
        """
        raw: dict[str, Any] = {}
        if env.get(ENV_FAILURE_WINDOW_MINUTES, "") != "":
            raw["failureNotificationWindowMinutes"] = _parse_number(
                ENV_FAILURE_WINDOW_MINUTES, env[ENV_FAILURE_WINDOW_MINUTES], int
            )
        if env.get(ENV_CLOUDTRAIL_FAILURES, "") != "":
            raw["cloudTrailFailures"] = _parse_flag(ENV_CLOUDTRAIL_FAILURES, env[ENV_CLOUDTRAIL_FAILURES])
        return cls.from_mapping(raw)


@dataclass(frozen=True)
class MonitorConfig:
    """The whole ``subnet-monitor`` block of ``cdk.json``."""

    scan: ScanConfig = field(default_factory=ScanConfig)
    schedule: str = DEFAULT_SCHEDULE
    notification_emails: tuple[str, ...] = ()
    slack: SlackTarget | None = None
    environments: tuple[TargetEnvironment, ...] = ()
    failures: FailureConfig = field(default_factory=FailureConfig)
    observability: ObservabilityConfig | None = None
    collector_memory_mb: int = DEFAULT_COLLECTOR_MEMORY_MB

    DEPLOY_KEYS = (
        "schedule",
        "notificationEmails",
        "slack",
        "environments",
        *FailureConfig.KEYS,
        "observability",
        "collectorMemoryMb",
    )

    @classmethod
    def from_context(cls, raw: Any) -> MonitorConfig:
        """Parse the ``subnet-monitor`` context block; ``None`` gives every default.

        Raises
        ------
        ConfigError
            naming the first key whose value is refused.
        """
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ConfigError("subnet-monitor", raw, "must be a JSON object")
        known = set(ScanConfig.KEYS) | set(cls.DEPLOY_KEYS)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(unknown[0], raw[unknown[0]], f"is not a known key; known: {', '.join(sorted(known))}")
        scan = ScanConfig.from_mapping({k: v for k, v in raw.items() if k in ScanConfig.KEYS})
        schedule = raw.get("schedule", DEFAULT_SCHEDULE)
        schedule_period_seconds(schedule)  # validates
        memory = _whole_number(
            raw,
            "collectorMemoryMb",
            DEFAULT_COLLECTOR_MEMORY_MB,
            low=LAMBDA_MEMORY_MIN_MB,
            high=LAMBDA_MEMORY_MAX_MB,
            unit="MB",
            why=" (Lambda's range)",
        )
        return cls(
            scan=scan,
            schedule=schedule,
            notification_emails=_names(raw, "notificationEmails", EMAIL_PATTERN, "is not an e-mail address"),
            slack=_slack(raw.get("slack")),
            environments=_environments(raw.get("environments", [])),
            failures=FailureConfig.from_mapping({k: v for k, v in raw.items() if k in FailureConfig.KEYS}),
            observability=ObservabilityConfig.from_value(raw.get("observability")),
            collector_memory_mb=memory,
        )


def schedule_period_seconds(expression: Any) -> int | None:
    """Seconds between runs of a ``rate(...)`` expression; ``None`` for a valid ``cron(...)``.

    Raises
    ------
    ConfigError
        when the expression is neither (key ``schedule``).
    """
    if isinstance(expression, str):
        rate = RATE_PATTERN.match(expression)
        if rate:
            value, unit = int(rate.group(1)), rate.group(2)
            # EventBridge wants the singular unit for 1 and the plural otherwise.
            if value == 0 or (value == 1) != (not unit.endswith("s")):
                raise ConfigError("schedule", expression, "needs a positive value, singular unit only for 1")
            return value * SECONDS_PER_UNIT[unit.rstrip("s")]
        if CRON_PATTERN.match(expression):
            return None
    raise ConfigError("schedule", expression, "is not a schedule expression: rate(5 minutes) or cron(0/5 * * * ? *)")


def _bool(raw: Mapping[str, Any], key: str, default: bool, prefix: str = "") -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}{key}", value, "must be true or false")
    return value


def _percent(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100:
        raise ConfigError(key, value, "must be a number between 0 and 100 (exclusive)")
    return float(value)


def _whole_number(
    raw: Mapping[str, Any], key: str, default: int, *, low: int, high: int, unit: str, why: str = ""
) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(key, value, f"must be a whole number of {unit} from {low} to {high}{why}")
    return value


def _positive(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(key, value, "must be a positive number")
    return float(value)


def _cni(value: Any) -> dict[str, CniSettings]:
    if not isinstance(value, Mapping):
        raise ConfigError("cni", value, 'must be an object of EKS cluster name to settings, e.g. {"platform": {...}}')
    settings = {}
    for cluster, block in value.items():
        if not isinstance(cluster, str) or not CLUSTER_NAME_PATTERN.match(cluster):
            raise ConfigError("cni", cluster, "is not a valid EKS cluster name")
        if not isinstance(block, Mapping):
            raise ConfigError(f"cni.{cluster}", block, f"must be an object with keys {', '.join(CNI_KEYS)}")
        unknown = sorted(set(block) - set(CNI_KEYS))
        if unknown:
            raise ConfigError(
                f"cni.{cluster}.{unknown[0]}", block[unknown[0]], f"is not a known key; known: {', '.join(CNI_KEYS)}"
            )
        kwargs: dict[str, Any] = {}
        for key, name in CNI_KEYS.items():
            if key not in block:
                continue
            item = block[key]
            if key == "prefixDelegation":
                if not isinstance(item, bool):
                    raise ConfigError(f"cni.{cluster}.{key}", item, "must be true or false")
            elif item is not None and (
                isinstance(item, bool) or not isinstance(item, int) or item < (1 if key == "maxPods" else 0)
            ):
                raise ConfigError(
                    f"cni.{cluster}.{key}",
                    item,
                    "must be a whole number" + (" of 1 or more" if key == "maxPods" else ", 0 or more"),
                )
            elif item is None and key in ("warmEniTarget", "warmPrefixTarget"):
                raise ConfigError(f"cni.{cluster}.{key}", item, "must be a whole number, 0 or more")
            kwargs[name] = item
        settings[cluster] = CniSettings(**kwargs)
    return settings


def _fargate_max_pods(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError("fargateMaxPods", value, 'must be an object of "cluster/profile" to a number of pods')
    maxima = {}
    for key, pods in value.items():
        cluster, _, profile = str(key).partition("/")
        if not CLUSTER_NAME_PATTERN.match(cluster) or not profile:
            raise ConfigError("fargateMaxPods", key, 'is not "cluster/profile"')
        if isinstance(pods, bool) or not isinstance(pods, int) or pods < 0:
            raise ConfigError(f"fargateMaxPods.{key}", pods, "must be a whole number of pods, 0 or more")
        maxima[key] = pods
    return maxima


def _optional_count(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(key, value, "must be a whole number of addresses, 0 or more")
    return value


def _names(
    raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], reason: str, prefix: str = ""
) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{prefix}{key}", value, "must be a list")
    for item in value:
        if not isinstance(item, str) or not pattern.match(item):
            raise ConfigError(f"{prefix}{key}", item, reason)
    # Keep the user's order, drop repeats.
    return tuple(dict.fromkeys(value))


def _tag_selectors(value: Any) -> tuple[TagSelector, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError("subnetTags", value, 'must be an object of tag key to value(s), e.g. {"team": "platform"}')
    selectors = []
    for key, wanted in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= TAG_KEY_MAX_LENGTH:
            raise ConfigError("subnetTags", key, f"is not a tag key (1-{TAG_KEY_MAX_LENGTH} characters)")
        if wanted == "*":
            values: tuple[str, ...] = ()
        elif isinstance(wanted, str):
            values = (wanted,)
        elif isinstance(wanted, list) and wanted and all(isinstance(v, str) for v in wanted):
            values = tuple(wanted)
        else:
            raise ConfigError(f"subnetTags.{key}", wanted, 'must be a string, a list of strings, or "*" for any value')
        for item in values:
            if len(item) > TAG_VALUE_MAX_LENGTH:
                raise ConfigError(f"subnetTags.{key}", item, f"is longer than {TAG_VALUE_MAX_LENGTH} characters")
        selectors.append(TagSelector(key=key, values=values))
    return tuple(selectors)


def _slack(value: Any) -> SlackTarget | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"workspaceId", "channelId"}:
        raise ConfigError("slack", value, 'must be {"workspaceId": "T…", "channelId": "C…"}')
    for key in ("workspaceId", "channelId"):
        if not isinstance(value[key], str) or not re.match(r"^[A-Z0-9]{9,}$", value[key]):
            raise ConfigError(f"slack.{key}", value[key], "is not a Slack ID (upper-case letters and digits)")
    return SlackTarget(workspace_id=value["workspaceId"], channel_id=value["channelId"])


def _environments(value: Any) -> tuple[TargetEnvironment, ...]:
    if not isinstance(value, list):
        raise ConfigError("environments", value, 'must be a list of {"account": "123456789012", "region": "eu-west-1"}')
    environments = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) - {"account", "region"}:
            raise ConfigError("environments", item, 'must be {"account": "123456789012", "region": "eu-west-1"}')
        account, region = item.get("account"), item.get("region")
        if not isinstance(account, str) or not ACCOUNT_PATTERN.match(account):
            raise ConfigError("environments.account", account, "is not a 12-digit account ID")
        if not isinstance(region, str) or not REGION_PATTERN.match(region):
            raise ConfigError("environments.region", region, "is not a region name (e.g. eu-west-1)")
        environments.append(TargetEnvironment(account=account, region=region))
    if len(set(environments)) != len(environments):
        raise ConfigError("environments", value, "lists an account/region twice")
    return tuple(environments)


def _sink_arns(value: Any, monitoring_account: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            "observability.sinkArns",
            value,
            'must be an object of region to sink ARN, e.g. {"eu-west-1": "arn:aws:oam:…"}',
        )
    arns = {}
    for region, arn in value.items():
        key = f"observability.sinkArns.{region}"
        if not isinstance(region, str) or not REGION_PATTERN.match(region):
            raise ConfigError("observability.sinkArns", region, "is not a region name (e.g. eu-west-1)")
        match = SINK_ARN_PATTERN.match(arn) if isinstance(arn, str) else None
        if match is None:
            raise ConfigError(key, arn, "is not a sink ARN (arn:aws:oam:<region>:<account>:sink/<id>)")
        if match["region"] != region:
            raise ConfigError(key, arn, f"is in {match['region']}: a link must be in its sink's region ({region})")
        if match["account"] != monitoring_account:
            raise ConfigError(key, arn, f"is not in the monitoring account {monitoring_account}")
        arns[region] = arn
    return arns


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _parse_flag(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise ConfigError(name, value, "must be true or false")
    return value == "true"


def _parse_number(name: str, value: str, kind: type) -> Any:
    try:
        return kind(value)
    except ValueError as error:
        raise ConfigError(name, value, f"is not a {'whole ' if kind is int else ''}number") from error
