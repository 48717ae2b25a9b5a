"""What one scan discovers and how it judges a subnet: :class:`ScanConfig`, the scan keys of the
``subnet-monitor`` block, and its round trip through the collector's environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetPydanticSchema, Strict, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from subnet_monitor.core.capacity import DEFAULT_WARM_ENI_TARGET, DEFAULT_WARM_PREFIX_TARGET, CniSettings
from subnet_monitor.core.cni import ConfiguredCni
from subnet_monitor.core.config.documents import parse_json
from subnet_monitor.core.config.errors import ConfigError, Model, refusing, validate
from subnet_monitor.core.metrics import MetricSet

# Subnet IDs are "subnet-" + 8 (legacy) or 17 hexadecimal characters.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Subnet.html
SUBNET_ID_PATTERN = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# ECS cluster names: up to 255 letters, numbers, underscores and hyphens; EKS cluster
# names: 1-100 characters, alphanumeric start, then alphanumerics, hyphens, underscores.
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
# Lambda caps the total size of a function's environment variables at 4 KB.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
# EC2 tag keys are at most 128 characters and values at most 256.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
DEFAULT_WARNING_PERCENT = 80.0
DEFAULT_CRITICAL_PERCENT = 90.0
DEFAULT_MIN_FREE_PREFIX_BLOCKS = 1
DEFAULT_EXHAUSTION_HORIZON_HOURS = 168.0  # 7 days
# A forecast further out than a year says nothing the utilization alarms do not.
EXHAUSTION_HORIZON_MAX_HOURS = 8760.0
# The addresses of a /16, the largest subnet (core.subnet.SUBNET_PREFIX_MIN, which imports this
# module): a floor above it would hold every subnet CRITICAL.
MIN_FREE_IPS_MAX = 65_536
DEFAULT_RISK_REMINDER_HOURS = 24.0
# A month: past it a subnet still at risk is named at least monthly; the table's records live 35 days.
RISK_REMINDER_MAX_HOURS = 720.0
# The collector's one environment variable: the ScanConfig as compact JSON, keys as in cdk.json.
ENV_SCAN_CONFIG = "SUBNET_MONITOR_SCAN_CONFIG"

Flag = Annotated[bool, Strict(), refusing("must be true or false")]


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))  # the user's order, without repeats


def names(pattern: re.Pattern[str], reason: str) -> Any:
    """A list of names that match ``pattern``, repeats dropped; ``reason`` refuses a name."""
    name = Annotated[str, Field(pattern=pattern.pattern), refusing(reason)]
    return Annotated[tuple[name, ...], AfterValidator(_unique), refusing("must be a list")]  # type: ignore[valid-type]


def held_as(
    wire: Any, parse: Callable[[Any], Any], dump: Callable[[Any], Any], held: type, container: type
) -> GetPydanticSchema:
    """Validate, document and serialize a field as ``wire`` (its cdk.json shape), but hold it as
    ``parse`` makes it: a ``container`` of ``held`` objects, which Python callers may pass as is."""

    def is_held(value: Any) -> bool:
        if not isinstance(value, container):
            return False
        return all(isinstance(item, held) for item in (value.values() if isinstance(value, Mapping) else value))

    def schema(_source: Any, handler: Any) -> core_schema.CoreSchema:
        inner = handler.generate_schema(wire)
        return core_schema.no_info_wrap_validator_function(
            lambda value, validate_wire: value if is_held(value) else parse(validate_wire(value)),
            inner,
            serialization=core_schema.plain_serializer_function_ser_schema(dump),
        )

    return HeldAs(wire=wire, get_pydantic_core_schema=schema)


@dataclass
class HeldAs(GetPydanticSchema):
    """:func:`held_as`'s marker; ``wire`` lets a refusal list the known keys of a nested object."""

    wire: Any = None


@dataclass(frozen=True)
class TagSelector:
    """Select subnets by tag: every key must match (AND), any listed value of a key (OR).

    An empty ``values`` tuple means "the key is present, any value".
    """

    key: str
    values: tuple[str, ...] = ()


TagKey = Annotated[
    str,
    Field(min_length=1, max_length=TAG_KEY_MAX_LENGTH),
    refusing(f"is not a tag key (1-{TAG_KEY_MAX_LENGTH} characters)"),
]
TagValue = Annotated[str, Field(max_length=TAG_VALUE_MAX_LENGTH)]
TagValues = Annotated[
    TagValue | Annotated[list[TagValue], Field(min_length=1)],
    refusing(
        f'must be a string (at most {TAG_VALUE_MAX_LENGTH} characters), a list of strings, or "*" for any value',
        every=True,
    ),
]


def _selectors(tags: Mapping[str, str | list[str]]) -> tuple[TagSelector, ...]:
    return tuple(
        TagSelector(key, () if wanted == "*" else (wanted,) if isinstance(wanted, str) else tuple(wanted))
        for key, wanted in tags.items()
    )


def _tags_mapping(selectors: tuple[TagSelector, ...]) -> dict[str, str | list[str]]:
    return {s.key: list(s.values) if s.values else "*" for s in selectors}


SubnetTags = Annotated[
    tuple[TagSelector, ...],
    held_as(
        Annotated[
            dict[TagKey, TagValues],
            refusing('must be an object of tag key to value(s), e.g. {"team": "platform"}'),
        ],
        _selectors,
        _tags_mapping,
        TagSelector,
        tuple,
    ),
]

WholeFromZero = Annotated[int, Strict(), Field(ge=0), refusing("must be a whole number, 0 or more")]


class CniBlock(Model):
    """The VPC CNI (aws-node) settings of one EKS cluster; a key set overrides the vpc-cni add-on's
    configuration, a key left out takes the add-on's value, else the CNI's default."""

    prefix_delegation: Flag = Field(
        False, description="ENABLE_PREFIX_DELEGATION: nodes get /28 prefixes instead of single addresses."
    )
    warm_eni_target: WholeFromZero = Field(
        DEFAULT_WARM_ENI_TARGET, description="WARM_ENI_TARGET: spare network interfaces a node keeps attached."
    )
    warm_ip_target: WholeFromZero | None = Field(
        None, description="WARM_IP_TARGET: spare addresses a node keeps; null or 0 = not set."
    )
    minimum_ip_target: WholeFromZero | None = Field(
        None, description="MINIMUM_IP_TARGET: addresses a node holds at least; null or 0 = not set."
    )
    warm_prefix_target: WholeFromZero = Field(
        DEFAULT_WARM_PREFIX_TARGET, description="WARM_PREFIX_TARGET: spare /28 prefixes a node keeps (prefix mode)."
    )
    max_pods: Annotated[int, Strict(), Field(ge=1), refusing("must be a whole number of 1 or more")] | None = Field(
        None, description="The kubelet's maxPods (pods per node); null = the AMI's default for the instance type."
    )


CNI_KEYS = tuple(to_camel(name) for name in CniBlock.model_fields)


def _cni_settings(blocks: Mapping[str, CniBlock]) -> dict[str, CniSettings]:
    # The keys a block sets override the vpc-cni add-on's configuration, key by key (core.cni).
    return {
        cluster: ConfiguredCni(**(keys := block.model_dump(exclude_unset=True)), keys=frozenset(keys))
        for cluster, block in blocks.items()
    }


def _cni_mapping(settings: Mapping[str, CniSettings]) -> dict[str, dict[str, Any]]:
    # Only the keys a block set, so they stay overrides through the collector's environment; a plain
    # CniSettings (from Python) sets them all.
    def keys(s: CniSettings) -> frozenset[str]:
        return s.keys if isinstance(s, ConfiguredCni) else frozenset(f.name for f in fields(CniSettings))

    return {
        cluster: {to_camel(k): getattr(s, k) for k in (f.name for f in fields(CniSettings)) if k in keys(s)}
        for cluster, s in settings.items()
    }


Cni = Annotated[
    Mapping[str, CniSettings],
    held_as(
        Annotated[
            dict[
                Annotated[
                    str, Field(pattern=CLUSTER_NAME_PATTERN.pattern), refusing("is not a valid EKS cluster name")
                ],
                Annotated[CniBlock, refusing(f"must be an object with keys {', '.join(CNI_KEYS)}")],
            ],
            refusing('must be an object of EKS cluster name to settings, e.g. {"platform": {...}}'),
        ],
        _cni_settings,
        _cni_mapping,
        CniSettings,
        Mapping,
    ),
]
FargateMaxPods = Annotated[
    dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}/.+$"), refusing('is not "cluster/profile"')],
        Annotated[int, Strict(), Field(ge=0), refusing("must be a whole number of pods, 0 or more")],
    ],
    refusing('must be an object of "cluster/profile" to a number of pods'),
]
ClusterNames = names(CLUSTER_NAME_PATTERN, "is not a valid ECS/EKS cluster name")
SubnetIds = names(SUBNET_ID_PATTERN, "is not a subnet ID (subnet-0123abcd…)")
Percent = Annotated[float, Strict(), Field(gt=0, lt=100), refusing("must be a number between 0 and 100 (exclusive)")]


class ScanFields(Model):
    """The scan keys of the block, shared by :class:`ScanConfig` and the whole block's model."""

    discover_ecs: Flag = Field(
        True,
        description="Discover ECS clusters: capacity providers and their Auto Scaling groups, container instances, "
        "awsvpc services and tasks.",
    )
    discover_eks: Flag = Field(
        True, description="Discover EKS clusters: control plane, node groups, self-managed nodes, Fargate profiles."
    )
    clusters: ClusterNames = Field(
        (), description="Only these ECS/EKS cluster names; empty = every cluster discovered."
    )
    subnet_ids: SubnetIds = Field(
        (), description="Subnets monitored whatever uses them: subnet- and 8 or 17 hexadecimal digits."
    )
    subnet_tags: SubnetTags = Field(
        (),
        json_schema_extra={"default": {}},
        description='Subnets selected by tag: tag key to a value, a list of values (any of them) or "*" (any '
        "value); every key must match.",
    )
    all_subnets: Flag = Field(False, description="Monitor every subnet in the region.")
    warning_percent: Percent = Field(
        DEFAULT_WARNING_PERCENT,
        description="WARNING at or above this percentage of addresses in use; between 0 and 100 (exclusive) and "
        "below criticalPercent.",
    )
    critical_percent: Percent = Field(
        DEFAULT_CRITICAL_PERCENT,
        description="CRITICAL at or above this percentage of addresses in use; between 0 and 100 (exclusive).",
    )
    min_free_ips: (
        Annotated[
            int,
            Strict(),
            Field(ge=0, le=MIN_FREE_IPS_MAX),
            refusing(f"must be a whole number of addresses from 0 to {MIN_FREE_IPS_MAX} (a /16, the largest subnet)"),
        ]
        | None
    ) = Field(
        None,
        description="CRITICAL below this many free addresses; null = no such floor.",
    )
    # VPC CNI settings per EKS cluster name; a cluster not listed runs the CNI's defaults.
    cni: Cni = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="VPC CNI settings per EKS cluster name; each key set overrides the cluster's vpc-cni add-on "
        "configuration (for self-managed CNIs, or to force a value); a key not set comes from the add-on, else "
        "the CNI's defaults.",
    )
    fargate_max_pods: FargateMaxPods = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description='The most pods an EKS Fargate profile may run, by "cluster/profile"; a profile not listed is '
        "planned at its current size.",
    )
    # null has always meant 0 here (no such rule); kept, so no block that synthesized before is refused now.
    min_free_prefix_blocks: Annotated[
        WholeFromZero,
        BeforeValidator(
            lambda value: 0 if value is None else value,
            json_schema_input_type=Annotated[int, Field(ge=0)] | None,
        ),
    ] = Field(
        DEFAULT_MIN_FREE_PREFIX_BLOCKS,
        description="WARNING below this many free /28 blocks in a prefix-delegation subnet (none at all is CRITICAL); "
        "0 or null = no such rule.",
    )
    exhaustion_horizon_hours: Annotated[
        float,
        Strict(),
        Field(gt=0, le=EXHAUSTION_HORIZON_MAX_HOURS, allow_inf_nan=False),
        refusing(f"must be a number of hours above 0 and at most {EXHAUSTION_HORIZON_MAX_HOURS:g} (a year)"),
    ] = Field(
        DEFAULT_EXHAUSTION_HORIZON_HOURS,
        description="Hours: WARNING, with a finding, when a subnet is forecast to run out sooner "
        "(default 168, 7 days).",
    )

    metrics: Annotated[
        MetricSet,
        refusing(f"must be one of {', '.join(repr(str(m)) for m in MetricSet)}"),
        # Inline in the schema, not a $defs entry of its own: the value is a word, not an object.
        WithJsonSchema({"type": "string", "enum": [str(m) for m in MetricSet]}),
    ] = Field(
        MetricSet.DEFAULT,
        description='Per-subnet metrics published to Custom/VPC: "lean" (AvailableIPCount only), "default" (and '
        'SubnetStatus, the verdict) or "detailed" (and IPUtilization, ScaleHeadroom, FreePrefixBlocks, '
        "HoursToExhaustion, for the graphs). Every finding is in the report and the notification whatever the "
        "setting; docs/scale-and-cost.md has the price of each.",
    )
    risk_reminder_hours: Annotated[
        float,
        Strict(),
        Field(gt=0, le=RISK_REMINDER_MAX_HOURS, allow_inf_nan=False),
        refusing(f"must be a number of hours above 0 and at most {RISK_REMINDER_MAX_HOURS:g} (30 days)"),
    ] = Field(
        DEFAULT_RISK_REMINDER_HOURS,
        description="Hours: the collector names a subnet in a notification when it becomes WARNING or CRITICAL, "
        "changes status or is back to OK, and again every this many hours while it stays at risk (default 24).",
    )

    @model_validator(mode="after")
    def _warning_below_critical(self) -> ScanFields:
        if self.warning_percent >= self.critical_percent:
            raise ConfigError(
                "warningPercent", self.warning_percent, f"must be below criticalPercent ({self.critical_percent:g})"
            )
        return self


class ScanConfig(ScanFields):
    """What one scan discovers and how it judges a subnet."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ScanConfig:
        """Validate the scan keys of a ``subnet-monitor`` mapping (unknown keys are refused).

        Raises
        ------
        ConfigError
            naming the first key whose value is refused.
        """
        return validate(cls, raw)

    def to_mapping(self) -> dict[str, Any]:
        """The ``subnet-monitor`` keys that produce this object (inverse of from_mapping)."""
        return self.model_dump(by_alias=True)

    def to_env(self, alongside: Mapping[str, str] | None = None) -> dict[str, str]:
        """The collector's environment (with the variables ``alongside`` it, e.g. Powertools'); :meth:`from_env`
        reads it back identically.

        Raises
        ------
        ConfigError
            when the whole environment exceeds Lambda's 4 KB limit.
        """
        env = {ENV_SCAN_CONFIG: self.model_dump_json(by_alias=True), **(alongside or {})}
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
        """Parse :meth:`to_env`'s rendering; without the variable, every default.

        Raises
        ------
        ConfigError
            naming the variable (and the key in it) whose value is refused.
        """
        return validate(cls, json_variable(env, ENV_SCAN_CONFIG), name=ENV_SCAN_CONFIG)


def json_variable(env: Mapping[str, str], name: str) -> Any:
    """The JSON value of environment variable ``name``; ``{}`` when it is unset or empty."""
    text = env.get(name, "")
    return parse_json(text, source=name, shown=text) if text else {}
