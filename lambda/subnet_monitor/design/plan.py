"""A planned estate, read from a plan file: VPCs, subnets, clusters and what they may grow to.

Pure: parsing and validation only, no AWS. ``python -m subnet_monitor check --plan FILE`` reads
one (JSON, or YAML with PyYAML installed); :mod:`subnet_monitor.design.builders` and
:mod:`subnet_monitor.design.rules` judge it with the monitor's own capacity model. The file is
declared as frozen pydantic models (their field docstrings are the descriptions of
``schemas/plan.schema.json``, :func:`plan_json_schema`); every value is validated up front and a
refused one raises :class:`~subnet_monitor.core.config.ConfigError` naming its key path
(``subnets[3].cidr``).

Keys are camelCase like ``cdk.json``'s; the VPC CNI settings of an EKS cluster (``cni``) take
exactly the keys of the monitor's ``cni`` config block. docs/design-check.md documents the
format; ``examples/plan.json`` is a complete example.

Longer than 400 lines, on purpose: the key descriptions here are the schema's reference text, and
the model, its refusals and its schema read best side by side.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from subnet_monitor.core.capacity import DEFAULT_MAXIMUM_PERCENT, CniSettings, InstanceNetworkLimits
from subnet_monitor.core.config import CLUSTER_NAME_PATTERN, CniBlock, ConfigError, ScanConfig
from subnet_monitor.core.config.documents import read_document
from subnet_monitor.core.consumers import CATEGORIES
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN

# At maximum scale, this much more than the workloads need must still fit (see design.sizing).
DEFAULT_SAFETY_MARGIN_PERCENT = 20.0
# A VPC's IPv4 CIDR blocks are /16 to /28, as its subnets':
# https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
VPC_PREFIX_MIN, VPC_PREFIX_MAX = SUBNET_PREFIX_MIN, SUBNET_PREFIX_MAX
REFUSED = "plan_refused"  # the pydantic error type of every refusal worded here

# Network limits of common node instance types: DefaultVCpus, MaximumNetworkInterfaces of the
# default network card and Ipv4AddressesPerInterface, as ec2:DescribeInstanceTypes reports them.
# Each row gives amazon-eks-ami's eni-max-pods.txt value through capacity.max_pods (checked in
# tests/design/test_plan.py). Other types go in the plan's "instanceTypes".
KNOWN_INSTANCE_TYPES: dict[str, InstanceNetworkLimits] = {
    name: InstanceNetworkLimits(name, vcpus, enis, ips)
    for name, vcpus, enis, ips in (
        ("t3.medium", 2, 3, 6),
        ("t3.large", 2, 3, 12),
        ("t3.xlarge", 4, 4, 15),
        ("t3.2xlarge", 8, 4, 15),
        ("m5.large", 2, 3, 10),
        ("m5.xlarge", 4, 4, 15),
        ("m5.2xlarge", 8, 4, 15),
        ("m5.4xlarge", 16, 8, 30),
        ("m5.8xlarge", 32, 8, 30),
        ("m5.12xlarge", 48, 8, 30),
        ("m5.16xlarge", 64, 15, 50),
        ("m5.24xlarge", 96, 15, 50),
        ("m6i.large", 2, 3, 10),
        ("m6i.xlarge", 4, 4, 15),
        ("m6i.2xlarge", 8, 4, 15),
        ("m6i.4xlarge", 16, 8, 30),
        ("m6g.large", 2, 3, 10),
        ("m6g.xlarge", 4, 4, 15),
        ("m6g.2xlarge", 8, 4, 15),
        ("m7i.large", 2, 3, 10),
        ("m7i.xlarge", 4, 4, 15),
        ("m7i.2xlarge", 8, 4, 15),
        ("m7g.large", 2, 3, 10),
        ("m7g.xlarge", 4, 4, 15),
        ("m7g.2xlarge", 8, 4, 15),
        ("c5.large", 2, 3, 10),
        ("c5.xlarge", 4, 4, 15),
        ("c5.2xlarge", 8, 4, 15),
        ("c5.4xlarge", 16, 8, 30),
        ("c5a.2xlarge", 8, 4, 15),
        ("c6i.large", 2, 3, 10),
        ("c6i.xlarge", 4, 4, 15),
        ("c6i.2xlarge", 8, 4, 15),
        ("c7g.xlarge", 4, 4, 15),
        ("r5.large", 2, 3, 10),
        ("r5.xlarge", 4, 4, 15),
        ("r5.2xlarge", 8, 4, 15),
        ("r6i.large", 2, 3, 10),
        ("r6i.xlarge", 4, 4, 15),
        ("r6i.2xlarge", 8, 4, 15),
        ("g5.xlarge", 4, 4, 15),
    )
}


# --- refusals ------------------------------------------------------------------------------------


def _refusal(reason: str, value: Any, *at: str | int) -> PydanticCustomError:
    """A refusal worded here; ``at`` is the key path below where the validator runs."""
    return PydanticCustomError(REFUSED, "{reason}", {"reason": reason, "value": value, "at": at})


def _refuse(reason: str) -> WrapValidator:
    """Word pydantic's refusals of this value itself as ``reason``; refusals of its items pass (a
    list with a refused item is also "too short after validation": that one is not worded)."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            if all(not line["loc"] and line["type"] != REFUSED for line in error.errors()):
                raise _refusal(reason, value) from None
            raise

    return WrapValidator(validate)


def _cidr(value: Any, *, strict: bool = True) -> str:
    if not isinstance(value, str):  # ipaddress would take 12345 as the address 0.0.48.57
        raise _refusal("must be a CIDR string, e.g. 10.0.0.0/16", value)
    try:
        return str(ipaddress.IPv4Network(value, strict=strict))
    except (ValueError, TypeError) as error:
        raise _refusal(f"is not an IPv4 CIDR block ({error})", value) from None


def _count(minimum: int) -> Any:
    return Annotated[int, Field(strict=True, ge=minimum), _refuse(f"must be a whole number, {minimum} or more")]


def _cni(value: Any) -> CniSettings:
    # The monitor's own cni config block validates it, so plan and config take the same keys.
    try:
        # "plan" stands for the cluster name the block is keyed by there; any valid name would do.
        return ScanConfig.from_mapping({"cni": {"plan": value}}).cni["plan"]
    except ConfigError as error:
        below = error.key.removeprefix("cni.plan").lstrip(".")
        raise _refusal(error.reason, error.value, *([below] if below else [])) from None


CIDR_SCHEMA = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$"}
Name = Annotated[str, Field(strict=True, pattern=r"\S"), _refuse("must be a non-empty string")]
ClusterName = Annotated[
    str, Field(strict=True, pattern=CLUSTER_NAME_PATTERN.pattern), _refuse("is not a valid ECS/EKS cluster name")
]
Flag = Annotated[bool, Field(strict=True), _refuse("must be true or false")]
Count = _count(0)
PositiveCount = _count(1)
TaskPercent = _count(100)
Percent = Annotated[float, Field(strict=True, ge=0, le=1000), _refuse("must be a number of percent, 0 to 1000")]
Cidr = Annotated[str, BeforeValidator(_cidr), WithJsonSchema(CIDR_SCHEMA)]
# The service CIDR is kept as written (host bits and all) so the check can judge it.
ServiceCidr = Annotated[str, BeforeValidator(lambda value: _cidr(value, strict=False)), WithJsonSchema(CIDR_SCHEMA)]
SubnetNames = Annotated[
    tuple[str, ...],
    Field(min_length=1),
    BeforeValidator(lambda value: list(dict.fromkeys(value)) if isinstance(value, list) else value),
    _refuse("must be a non-empty list of subnet names"),
]
Category = Literal[CATEGORIES]
# The same keys as the config's cni block, so the same model gives the schema.
CNI_SCHEMA = {
    **CniBlock.model_json_schema(by_alias=True),
    "description": "The cluster's VPC CNI (aws-node) settings, the keys of the monitor's cni config block "
    "(https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md). Default: the CNI's own defaults.",
}
Cni = Annotated[CniSettings, PlainValidator(_cni), WithJsonSchema(CNI_SCHEMA)]


def _twice(names: Sequence[str]) -> tuple[int, str] | None:
    """The index and name of the first name used a second time."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            return index, name
        seen.add(name)
    return None


def _unique(names: Sequence[str], key: str, what: str) -> None:
    if twice := _twice(names):
        raise _refusal(f"is used twice as a {what}", twice[1], key)


# --- the plan file ---------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        # extra="forbid" says it in the schema; this says it naming the keys that are known.
        if isinstance(data, Mapping):
            known = [field.alias or name for name, field in cls.model_fields.items()]
            unknown = sorted((key for key in data if key not in known), key=str)
            if unknown:
                raise _refusal(f"is not a known key; known: {', '.join(known)}", data[unknown[0]], unknown[0])
        return data


class PlannedVpc(_Model):
    """A VPC of the plan."""

    name: Name
    """The VPC's name, which subnets and EKS clusters refer to (their vpc). Unique in the plan."""
    cidrs: Annotated[
        tuple[Cidr, ...], Field(min_length=1), _refuse("must be a non-empty list (the primary CIDR first)")
    ]
    """The VPC's IPv4 CIDR blocks, /16 to /28 (AWS VPC sizes): the primary first, then the secondary ones
    (e.g. 100.64.0.0/16)."""

    @field_validator("cidrs")
    @classmethod
    def _vpc_sizes(cls, cidrs: tuple[str, ...]) -> tuple[str, ...]:
        # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
        for index, cidr in enumerate(cidrs):
            if not VPC_PREFIX_MIN <= ipaddress.IPv4Network(cidr).prefixlen <= VPC_PREFIX_MAX:
                raise _refusal(f"must be /{VPC_PREFIX_MIN} to /{VPC_PREFIX_MAX} (AWS VPC sizes)", cidr, index)
        return cidrs


class InstanceType(_Model):
    """Network limits of an instance type, as aws ec2 describe-instance-types reports them."""

    vcpus: PositiveCount
    """DefaultVCpus, 1 or more: EKS caps a node's recommended maxPods at 110, or 250 above 30 vCPUs."""
    max_enis: PositiveCount
    """MaximumNetworkInterfaces of the default network card (1 or more): the VPC CNI uses only that card."""
    ipv4_per_eni: PositiveCount
    """Ipv4AddressesPerInterface (1 or more): addresses, or /28 prefixes with prefix delegation, per interface."""
    nitro: Flag = True
    """Whether the type is built on Nitro and so can take /28 prefixes. Default true."""

    def limits(self, name: str) -> InstanceNetworkLimits:
        return InstanceNetworkLimits(name, self.vcpus, self.max_enis, self.ipv4_per_eni, self.nitro)


class PlannedSubnet(_Model):
    """A subnet of the plan."""

    name: Name
    """The subnet's name, which clusters refer to. Unique in the plan."""
    vpc: Name | None = None
    """The name of the subnet's VPC. Default: the plan's only VPC (required when it has more than one)."""
    availability_zone: Name
    """The subnet's Availability Zone, e.g. eu-west-1a."""
    cidr: Cidr
    """The subnet's IPv4 CIDR block, /16 to /28 (AWS subnet sizes); AWS keeps 5 of its addresses."""
    public: Flag = False
    """Whether the subnet routes to an internet gateway. Default false."""
    other_consumers: Annotated[
        dict[Category, Count], _refuse("must be an object of consumer category to addresses")
    ] = {}
    """Addresses taken by what is not a planned cluster workload (NAT gateways, load balancers, Lambda,
    endpoints…), as a number of addresses (0 or more) per consumer category. Default: none."""

    @field_validator("cidr")
    @classmethod
    def _subnet_size(cls, cidr: str) -> str:
        # https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
        if not SUBNET_PREFIX_MIN <= ipaddress.IPv4Network(cidr).prefixlen <= SUBNET_PREFIX_MAX:
            raise _refusal(f"must be /{SUBNET_PREFIX_MIN} to /{SUBNET_PREFIX_MAX} (AWS subnet sizes)", cidr)
        return cidr

    @field_validator("other_consumers", mode="before")
    @classmethod
    def _known_categories(cls, value: Any) -> Any:
        # Checked before pydantic's key check to name the category and show its count.
        if isinstance(value, Mapping):
            for category, count in value.items():
                if category not in CATEGORIES:
                    raise _refusal(f"is not a consumer category; known: {', '.join(CATEGORIES)}", count, category)
        return value


class PlannedService(_Model):
    """An ECS service (awsvpc network mode: one address per task)."""

    name: Name
    """The service's name. Unique in its cluster."""
    subnets: SubnetNames
    """The names of the plan's subnets its tasks run in."""
    max_tasks: Count
    """The most tasks it may run (its Auto Scaling maximum, else its desired count), 0 or more."""
    maximum_percent: TaskPercent = DEFAULT_MAXIMUM_PERCENT
    """The deployment's maximumPercent, 100 or more: a rolling deployment runs up to this share of max
    tasks at once. Default 200."""


class PlannedCapacityProvider(_Model):
    """An ECS capacity provider's Auto Scaling group (one address per container instance)."""

    name: Name
    """The capacity provider's name. Unique in its cluster."""
    subnets: SubnetNames
    """The names of the plan's subnets its instances run in."""
    max_size: Count
    """The Auto Scaling group's maximum size, in instances, 0 or more."""


class PlannedEcsCluster(_Model):
    """An ECS cluster."""

    name: ClusterName
    """The cluster's name (letters, digits, - and _; up to 255). Unique among the plan's ECS clusters."""
    capacity_providers: tuple[PlannedCapacityProvider, ...] = ()
    """Its EC2 capacity providers. Default: none."""
    services: tuple[PlannedService, ...] = ()
    """Its services. Default: none."""

    @model_validator(mode="after")
    def _unique_names(self) -> PlannedEcsCluster:
        _unique([p.name for p in self.capacity_providers], "capacityProviders", "capacity provider name")
        _unique([s.name for s in self.services], "services", "service name")
        return self


class PlannedNodegroup(_Model):
    """An EKS managed node group."""

    name: Name
    """The node group's name. Unique in its cluster."""
    subnets: SubnetNames
    """The names of the plan's subnets its nodes run in."""
    instance_types: Annotated[
        tuple[str, ...], Field(min_length=1), _refuse("must be a non-empty list of instance types")
    ]
    """The instance types it may launch: built-in ones or the plan's instanceTypes. It is planned for
    the one that takes the most addresses."""
    max_size: Count
    """The node group's maximum size, in nodes, 0 or more."""
    pods_per_node: Count | None = None
    """Application pods with their own address planned per node, 0 or more (the cluster's
    daemonSetPodsPerNode is added to it). Default: every node full at maxPods."""


class PlannedFargateProfile(_Model):
    """An EKS Fargate profile (one address per pod)."""

    name: Name
    """The profile's name. Unique in its cluster."""
    subnets: SubnetNames
    """The names of the plan's (private) subnets its pods run in."""
    max_pods: Count
    """The most pods it may run at once, 0 or more."""


class PlannedEksCluster(_Model):
    """An EKS cluster."""

    name: ClusterName
    """The cluster's name (letters, digits, - and _; up to 255). Unique among the plan's EKS clusters."""
    vpc: Name | None = None
    """The name of the cluster's VPC. Default: the VPC of its first control-plane subnet."""
    service_ipv4_cidr: ServiceCidr | None = None
    """The Kubernetes service CIDR block (serviceIpv4Cidr). Default null: the one EKS picks,
    10.100.0.0/16 or 172.20.0.0/16 depending on the VPC."""
    control_plane_subnets: SubnetNames
    """The names of the subnets of the cluster's control-plane network interfaces."""
    cni: Cni = Field(default_factory=CniSettings)
    daemonset_pods_per_node: Count = Field(0, alias="daemonSetPodsPerNode")
    """Add-on pods every node runs with their own VPC address, 0 or more (e.g. ebs-csi-node; aws-node and
    kube-proxy run on the host network and take none). Default 0."""
    nodegroups: tuple[PlannedNodegroup, ...] = ()
    """Its managed node groups. Default: none."""
    fargate_profiles: tuple[PlannedFargateProfile, ...] = ()
    """Its Fargate profiles. Default: none."""

    @model_validator(mode="after")
    def _unique_names(self) -> PlannedEksCluster:
        _unique([n.name for n in self.nodegroups], "nodegroups", "node group name")
        _unique([p.name for p in self.fargate_profiles], "fargateProfiles", "Fargate profile name")
        return self


class Plan(_Model):
    """A planned estate: its VPCs, subnets, and the ECS and EKS clusters that may grow in them. The
    design check sizes every workload at its maximum and judges the plan by the monitor's rules."""

    model_config = ConfigDict(title="subnet-ip-monitor plan file")

    safety_margin_percent: Percent = DEFAULT_SAFETY_MARGIN_PERCENT
    """At maximum scale, this much more than the workloads need must still fit, in percent of what they
    need (0 to 1000). Default 20."""
    vpc_list: Annotated[
        tuple[PlannedVpc, ...], Field(min_length=1), _refuse('must be a non-empty list of {"name", "cidrs"}')
    ] = Field(alias="vpcs")
    """The plan's VPCs, at least one."""
    peered_cidrs: Annotated[dict[str, Cidr], _refuse("must be an object of network name to CIDR block")] = {}
    """Connected networks (peered VPCs, on-premises) by name, as IPv4 CIDR blocks that the plan's VPCs
    must not overlap. Default: none."""
    ecs_trunking: Flag = False
    """The ECS awsvpcTrunking account setting: one trunk network interface (one address) more per ECS
    container instance. Default false."""
    instance_types: Annotated[
        dict[str, InstanceType], _refuse('must be an object of type name to {"vcpus", "maxEnis", "ipv4PerEni"}')
    ] = {}
    """Network limits of instance types node groups use beyond the built-in common ones, by type name
    (e.g. x9.huge). Default: none."""
    subnet_list: Annotated[
        tuple[PlannedSubnet, ...], Field(min_length=1), _refuse("must be a non-empty list of subnets")
    ] = Field(alias="subnets")
    """The plan's subnets, at least one. Names are unique."""
    ecs_clusters: tuple[PlannedEcsCluster, ...] = ()
    """The plan's ECS clusters. Default: none."""
    eks_clusters: tuple[PlannedEksCluster, ...] = ()
    """The plan's EKS clusters. Default: none."""
    schema_ref: str = Field("", alias="$schema")
    """The JSON Schema of plan files, for editors (e.g. ../schemas/plan.schema.json). Ignored."""

    @cached_property
    def vpcs(self) -> dict[str, PlannedVpc]:
        return {vpc.name: vpc for vpc in self.vpc_list}

    @cached_property
    def subnets(self) -> dict[str, PlannedSubnet]:
        return {subnet.name: subnet for subnet in self.subnet_list}

    @cached_property
    def instance_limits(self) -> dict[str, InstanceNetworkLimits]:
        """The built-in instance types and the plan's own."""
        return KNOWN_INSTANCE_TYPES | {name: t.limits(name) for name, t in self.instance_types.items()}

    @model_validator(mode="after")
    def _resolve(self) -> Plan:
        """Check what refers to other keys, and fill in the VPCs that default to another key's."""
        vpcs = [vpc.name for vpc in self.vpc_list]
        _unique(vpcs, "vpcs", "VPC name")
        if twice := _twice([s.name for s in self.subnet_list]):
            raise _refusal("is used twice as a subnet name", twice[1], "subnets", twice[0], "name")
        subnets = []
        for index, subnet in enumerate(self.subnet_list):
            if subnet.vpc is None and len(vpcs) != 1:
                raise _refusal("is required when the plan has more than one VPC", None, "subnets", index, "vpc")
            if subnet.vpc is not None and subnet.vpc not in vpcs:
                raise _refusal("is not a VPC of the plan", subnet.vpc, "subnets", index, "vpc")
            subnets.append(subnet.model_copy(update={"vpc": subnet.vpc or vpcs[0]}))
        vpc_of = {subnet.name: subnet.vpc for subnet in subnets}
        for at, names in self._subnet_refs():
            for index, name in enumerate(names):
                if name not in vpc_of:
                    raise _refusal("is not a subnet of the plan", name, *at, index)
        _unique([c.name for c in self.ecs_clusters], "ecsClusters", "cluster name")
        _unique([c.name for c in self.eks_clusters], "eksClusters", "cluster name")
        limits = {*KNOWN_INSTANCE_TYPES, *self.instance_types}
        eks = []
        for index, cluster in enumerate(self.eks_clusters):
            if cluster.vpc is not None and cluster.vpc not in vpcs:
                raise _refusal("is not a VPC of the plan", cluster.vpc, "eksClusters", index, "vpc")
            for group_index, group in enumerate(cluster.nodegroups):
                for type_index, instance_type in enumerate(group.instance_types):
                    if instance_type not in limits:
                        raise _refusal(
                            'has unknown network limits; add it to the plan\'s "instanceTypes" '
                            '({"vcpus", "maxEnis", "ipv4PerEni"} from aws ec2 describe-instance-types)',
                            instance_type,
                            *("eksClusters", index, "nodegroups", group_index, "instanceTypes", type_index),
                        )
            eks.append(cluster.model_copy(update={"vpc": cluster.vpc or vpc_of[cluster.control_plane_subnets[0]]}))
        return self.model_copy(update={"subnet_list": tuple(subnets), "eks_clusters": tuple(eks)})

    def _subnet_refs(self) -> Iterator[tuple[tuple[str | int, ...], tuple[str, ...]]]:
        """Every list of subnet names in the plan, with its key path."""
        for i, ecs in enumerate(self.ecs_clusters):
            for j, provider in enumerate(ecs.capacity_providers):
                yield ("ecsClusters", i, "capacityProviders", j, "subnets"), provider.subnets
            for j, service in enumerate(ecs.services):
                yield ("ecsClusters", i, "services", j, "subnets"), service.subnets
        for i, eks in enumerate(self.eks_clusters):
            yield ("eksClusters", i, "controlPlaneSubnets"), eks.control_plane_subnets
            for j, group in enumerate(eks.nodegroups):
                yield ("eksClusters", i, "nodegroups", j, "subnets"), group.subnets
            for j, profile in enumerate(eks.fargate_profiles):
                yield ("eksClusters", i, "fargateProfiles", j, "subnets"), profile.subnets


# --- reading ---------------------------------------------------------------------------------------

# How pydantic's own refusals read (those not worded by a validator above).
REASONS = {
    "missing": "is required",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "string_type": "must be a string",
}


def _config_error(error: ValidationError) -> ConfigError:
    """The first refusal of ``error`` as the ConfigError naming its key path and value."""
    line = error.errors(include_url=False)[0]
    context = line.get("ctx", {}) if line["type"] == REFUSED else {}
    key = ""
    for part in (*line["loc"], *context.get("at", ())):
        key += f"[{part}]" if isinstance(part, int) else f".{part}" if key else str(part)
    if line["type"] == REFUSED:
        value, reason = context["value"], context["reason"]
    else:
        value = None if line["type"] == "missing" else line["input"]
        reason = REASONS.get(line["type"], f"is refused ({line['msg']})")
    # ConfigError cuts a long value where it is shown.
    return ConfigError(key or "plan", value, reason)


def parse_plan(document: Any) -> Plan:
    """Validate a plan document (the parsed JSON/YAML).

    Raises
    ------
    ConfigError
        naming the key path of the first refused value.
    """
    try:
        return Plan.model_validate(document)
    except ValidationError as error:
        raise _config_error(error) from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file: JSON, or YAML (``.yaml``/``.yml``, needs PyYAML).

    Raises
    ------
    ConfigError
        naming the file when it cannot be read or parsed or is too large (see
        :mod:`subnet_monitor.core.config.documents`), or the key of the first refused value.
    """
    return parse_plan(read_document(path, source="--plan"))


class _PlanSchema(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # a key's title would only repeat its name; the description says what it is

    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        return _unwrapped(super().generate(schema, mode))


def _unwrapped(schema: Any) -> Any:
    """The schema with each description on one line, as editors show it (docstrings wrap at 120)."""
    if isinstance(schema, dict):
        return {k: " ".join(v.split()) if k == "description" else _unwrapped(v) for k, v in schema.items()}
    return [_unwrapped(item) for item in schema] if isinstance(schema, list) else schema


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of plan files, published as ``schemas/plan.schema.json``."""
    schema = Plan.model_json_schema(by_alias=True, schema_generator=_PlanSchema)
    return {"$schema": GenerateJsonSchema.schema_dialect, **schema}
