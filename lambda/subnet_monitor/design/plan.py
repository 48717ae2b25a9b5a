"""A planned estate, read from a plan file: VPCs, subnets, clusters and what they may grow to.

Pure: parsing and validation only, no AWS. ``python -m subnet_monitor check --plan FILE`` reads
one (JSON, or YAML with PyYAML installed) and :mod:`subnet_monitor.design.check` judges it with the
monitor's own capacity model. Every value is validated up front; a refused value raises
:class:`~subnet_monitor.core.config.ConfigError` naming its key path (``subnets[3].cidr``).

Keys are camelCase like ``cdk.json``'s; the VPC CNI settings of an EKS cluster (``cni``) take
exactly the keys of the monitor's ``cni`` config block. README.md ("Design check") documents the
format; ``examples/plan.json`` is a complete example.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from subnet_monitor.core.capacity import DEFAULT_MAXIMUM_PERCENT, CniSettings, InstanceNetworkLimits
from subnet_monitor.core.config import CLUSTER_NAME_PATTERN, ConfigError, ScanConfig
from subnet_monitor.core.consumers import CATEGORIES
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN

# At maximum scale, this much more than the workloads need must still fit (see design_check).
DEFAULT_SAFETY_MARGIN_PERCENT = 20.0
YAML_SUFFIXES = (".yaml", ".yml")

# Network limits of common node instance types: DefaultVCpus, MaximumNetworkInterfaces of the
# default network card and Ipv4AddressesPerInterface, as ec2:DescribeInstanceTypes reports them.
# Each row gives amazon-eks-ami's eni-max-pods.txt value through capacity.max_pods (checked in
# tests/unit/test_plan.py). Other types go in the plan's "instanceTypes".
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


@dataclass(frozen=True)
class PlannedVpc:
    name: str
    cidrs: tuple[str, ...]  # primary first, then secondary CIDR blocks


@dataclass(frozen=True)
class PlannedSubnet:
    """A subnet of the plan. ``other_consumers`` are the addresses taken by what is not a planned
    cluster workload (NAT gateways, load balancers, Lambda, endpoints…), by consumer category."""

    name: str
    vpc: str
    availability_zone: str
    cidr: str
    public: bool = False
    other_consumers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedService:
    name: str
    subnets: tuple[str, ...]
    max_tasks: int
    maximum_percent: int = DEFAULT_MAXIMUM_PERCENT


@dataclass(frozen=True)
class PlannedCapacityProvider:
    name: str
    subnets: tuple[str, ...]
    max_size: int


@dataclass(frozen=True)
class PlannedEcsCluster:
    name: str
    capacity_providers: tuple[PlannedCapacityProvider, ...] = ()
    services: tuple[PlannedService, ...] = ()


@dataclass(frozen=True)
class PlannedNodegroup:
    """``pods_per_node``: application pods with their own address planned per node (the cluster's
    add-on DaemonSet pods are added to it); ``None`` plans every node full at maxPods."""

    name: str
    subnets: tuple[str, ...]
    instance_types: tuple[str, ...]
    max_size: int
    pods_per_node: int | None = None


@dataclass(frozen=True)
class PlannedFargateProfile:
    name: str
    subnets: tuple[str, ...]
    max_pods: int


@dataclass(frozen=True)
class PlannedEksCluster:
    """``daemonset_pods_per_node``: add-on pods every node runs with their own VPC address (not
    on the host network), e.g. ``ebs-csi-node``. ``aws-node`` and ``kube-proxy`` run on the host
    network and take none."""

    name: str
    vpc: str
    control_plane_subnets: tuple[str, ...]
    service_ipv4_cidr: str | None = None
    cni: CniSettings = field(default_factory=CniSettings)
    daemonset_pods_per_node: int = 0
    nodegroups: tuple[PlannedNodegroup, ...] = ()
    fargate_profiles: tuple[PlannedFargateProfile, ...] = ()


@dataclass(frozen=True)
class Plan:
    vpcs: Mapping[str, PlannedVpc]
    subnets: Mapping[str, PlannedSubnet]
    ecs_clusters: tuple[PlannedEcsCluster, ...] = ()
    eks_clusters: tuple[PlannedEksCluster, ...] = ()
    peered_cidrs: Mapping[str, str] = field(default_factory=dict)
    # The awsvpcTrunking account setting: one trunk ENI more per ECS container instance.
    ecs_trunking: bool = False
    safety_margin_percent: float = DEFAULT_SAFETY_MARGIN_PERCENT
    instance_limits: Mapping[str, InstanceNetworkLimits] = field(default_factory=lambda: dict(KNOWN_INSTANCE_TYPES))

    KEYS = (
        "safetyMarginPercent",
        "vpcs",
        "peeredCidrs",
        "ecsTrunking",
        "instanceTypes",
        "subnets",
        "ecsClusters",
        "eksClusters",
    )


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file: JSON, or YAML (``.yaml``/``.yml``, needs PyYAML).

    Raises
    ------
    ConfigError
        naming the file when it cannot be read or parsed, or the key of the first refused value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("--plan", str(path), f"cannot be read ({error.strerror})") from error
    if path.suffix.lower() in YAML_SUFFIXES:
        try:
            import yaml  # noqa: PLC0415 - only YAML plans need it; the Lambda never imports this
        except ImportError as error:  # pragma: no cover - PyYAML is pinned in requirements.txt
            raise ConfigError("--plan", str(path), "is YAML, which needs PyYAML (pip install pyyaml)") from error
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ConfigError("--plan", str(path), f"is not valid YAML ({error})") from error
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError("--plan", str(path), f"is not valid JSON ({error})") from error
    return parse_plan(document)


def parse_plan(document: Any) -> Plan:
    """Validate a plan document (the parsed JSON/YAML).

    Raises
    ------
    ConfigError
        naming the key path of the first refused value.
    """
    raw = _mapping(document, "plan", Plan.KEYS)
    margin = raw.get("safetyMarginPercent", DEFAULT_SAFETY_MARGIN_PERCENT)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 <= margin <= 1000:
        raise ConfigError("safetyMarginPercent", margin, "must be a number of percent, 0 to 1000")
    vpcs = _vpcs(raw.get("vpcs"))
    limits = dict(KNOWN_INSTANCE_TYPES)
    limits.update(_instance_types(raw.get("instanceTypes", {})))
    subnets = _subnets(raw.get("subnets"), vpcs)
    peered = _peered(raw.get("peeredCidrs", {}))
    trunking = raw.get("ecsTrunking", False)
    if not isinstance(trunking, bool):
        raise ConfigError("ecsTrunking", trunking, "must be true or false")
    ecs = tuple(
        _ecs_cluster(item, f"ecsClusters[{i}]", subnets) for i, item in enumerate(_list(raw, "ecsClusters", "plan"))
    )
    eks = tuple(
        _eks_cluster(item, f"eksClusters[{i}]", subnets, vpcs, limits)
        for i, item in enumerate(_list(raw, "eksClusters", "plan"))
    )
    _unique([c.name for c in ecs], "ecsClusters", "cluster name")
    _unique([c.name for c in eks], "eksClusters", "cluster name")
    return Plan(
        vpcs=vpcs,
        subnets=subnets,
        ecs_clusters=ecs,
        eks_clusters=eks,
        peered_cidrs=peered,
        ecs_trunking=trunking,
        safety_margin_percent=float(margin),
        instance_limits=limits,
    )


# --- validation helpers --------------------------------------------------------------------------


def _mapping(value: Any, key: str, known: Sequence[str], required: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, "must be an object")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigError(_join(key, unknown[0]), value[unknown[0]], f"is not a known key; known: {', '.join(known)}")
    for name in required:
        if name not in value:
            raise ConfigError(_join(key, name), None, "is required")
    return value


def _join(key: str, name: str) -> str:
    return name if key == "plan" else f"{key}.{name}"


def _list(raw: Mapping[str, Any], name: str, key: str) -> list[Any]:
    value = raw.get(name, [])
    if not isinstance(value, list):
        raise ConfigError(_join(key, name), value, "must be a list")
    return value


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, value, "must be a non-empty string")
    return value


def _count(value: Any, key: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(key, value, f"must be a whole number, {minimum} or more")
    return value


def _cidr(value: Any, key: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except (ValueError, TypeError) as error:
        raise ConfigError(key, value, f"is not an IPv4 CIDR block ({error})") from None
    return str(network)


def _unique(names: Sequence[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(key, name, f"is used twice as a {what}")
        seen.add(name)


def _subnet_refs(value: Any, key: str, subnets: Mapping[str, PlannedSubnet]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(key, value, "must be a non-empty list of subnet names")
    for index, name in enumerate(value):
        if name not in subnets:
            raise ConfigError(f"{key}[{index}]", name, "is not a subnet of the plan")
    return tuple(dict.fromkeys(value))


def _vpcs(value: Any) -> dict[str, PlannedVpc]:
    if not isinstance(value, list) or not value:
        raise ConfigError("vpcs", value, 'must be a non-empty list of {"name", "cidrs"}')
    vpcs: dict[str, PlannedVpc] = {}
    for index, item in enumerate(value):
        key = f"vpcs[{index}]"
        raw = _mapping(item, key, ("name", "cidrs"), ("name", "cidrs"))
        name = _name(raw["name"], f"{key}.name")
        cidrs = raw["cidrs"]
        if not isinstance(cidrs, list) or not cidrs:
            raise ConfigError(f"{key}.cidrs", cidrs, "must be a non-empty list (the primary CIDR first)")
        vpcs[name] = PlannedVpc(name, tuple(_cidr(c, f"{key}.cidrs[{i}]") for i, c in enumerate(cidrs)))
    _unique([v.get("name") for v in value], "vpcs", "VPC name")
    return vpcs


def _instance_types(value: Any) -> dict[str, InstanceNetworkLimits]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            "instanceTypes", value, 'must be an object of type name to {"vcpus", "maxEnis", "ipv4PerEni"}'
        )
    limits = {}
    for name, item in value.items():
        key = f"instanceTypes.{name}"
        raw = _mapping(item, key, ("vcpus", "maxEnis", "ipv4PerEni", "nitro"), ("vcpus", "maxEnis", "ipv4PerEni"))
        nitro = raw.get("nitro", True)
        if not isinstance(nitro, bool):
            raise ConfigError(f"{key}.nitro", nitro, "must be true or false")
        limits[name] = InstanceNetworkLimits(
            name,
            _count(raw["vcpus"], f"{key}.vcpus", 1),
            _count(raw["maxEnis"], f"{key}.maxEnis", 1),
            _count(raw["ipv4PerEni"], f"{key}.ipv4PerEni", 1),
            nitro,
        )
    return limits


def _subnets(value: Any, vpcs: Mapping[str, PlannedVpc]) -> dict[str, PlannedSubnet]:
    if not isinstance(value, list) or not value:
        raise ConfigError("subnets", value, "must be a non-empty list of subnets")
    subnets: dict[str, PlannedSubnet] = {}
    keys = ("name", "vpc", "availabilityZone", "cidr", "public", "otherConsumers")
    for index, item in enumerate(value):
        key = f"subnets[{index}]"
        raw = _mapping(item, key, keys, ("name", "availabilityZone", "cidr"))
        name = _name(raw["name"], f"{key}.name")
        if name in subnets:
            raise ConfigError(f"{key}.name", name, "is used twice as a subnet name")
        vpc = raw.get("vpc")
        if vpc is None:
            if len(vpcs) != 1:
                raise ConfigError(f"{key}.vpc", None, "is required when the plan has more than one VPC")
            vpc = next(iter(vpcs))
        elif vpc not in vpcs:
            raise ConfigError(f"{key}.vpc", vpc, "is not a VPC of the plan")
        cidr = _cidr(raw["cidr"], f"{key}.cidr")
        prefix = ipaddress.IPv4Network(cidr).prefixlen
        if not SUBNET_PREFIX_MIN <= prefix <= SUBNET_PREFIX_MAX:
            raise ConfigError(
                f"{key}.cidr", cidr, f"must be /{SUBNET_PREFIX_MIN} to /{SUBNET_PREFIX_MAX} (AWS subnet sizes)"
            )
        public = raw.get("public", False)
        if not isinstance(public, bool):
            raise ConfigError(f"{key}.public", public, "must be true or false")
        others = raw.get("otherConsumers", {})
        if not isinstance(others, Mapping):
            raise ConfigError(f"{key}.otherConsumers", others, "must be an object of consumer category to addresses")
        for category, count in others.items():
            if category not in CATEGORIES:
                raise ConfigError(
                    f"{key}.otherConsumers.{category}",
                    count,
                    f"is not a consumer category; known: {', '.join(CATEGORIES)}",
                )
            _count(count, f"{key}.otherConsumers.{category}")
        subnets[name] = PlannedSubnet(
            name=name,
            vpc=vpc,
            availability_zone=_name(raw["availabilityZone"], f"{key}.availabilityZone"),
            cidr=cidr,
            public=public,
            other_consumers=dict(others),
        )
    return subnets


def _peered(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError("peeredCidrs", value, "must be an object of network name to CIDR block")
    return {str(name): _cidr(cidr, f"peeredCidrs.{name}") for name, cidr in value.items()}


def _cluster_name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not CLUSTER_NAME_PATTERN.match(value):
        raise ConfigError(key, value, "is not a valid ECS/EKS cluster name")
    return value


def _ecs_cluster(item: Any, key: str, subnets: Mapping[str, PlannedSubnet]) -> PlannedEcsCluster:
    raw = _mapping(item, key, ("name", "capacityProviders", "services"), ("name",))
    providers = []
    for index, entry in enumerate(_list(raw, "capacityProviders", key)):
        at = f"{key}.capacityProviders[{index}]"
        spec = _mapping(entry, at, ("name", "subnets", "maxSize"), ("name", "subnets", "maxSize"))
        providers.append(
            PlannedCapacityProvider(
                _name(spec["name"], f"{at}.name"),
                _subnet_refs(spec["subnets"], f"{at}.subnets", subnets),
                _count(spec["maxSize"], f"{at}.maxSize"),
            )
        )
    services = []
    for index, entry in enumerate(_list(raw, "services", key)):
        at = f"{key}.services[{index}]"
        spec = _mapping(entry, at, ("name", "subnets", "maxTasks", "maximumPercent"), ("name", "subnets", "maxTasks"))
        services.append(
            PlannedService(
                _name(spec["name"], f"{at}.name"),
                _subnet_refs(spec["subnets"], f"{at}.subnets", subnets),
                _count(spec["maxTasks"], f"{at}.maxTasks"),
                _count(spec.get("maximumPercent", DEFAULT_MAXIMUM_PERCENT), f"{at}.maximumPercent", 100),
            )
        )
    _unique([p.name for p in providers], f"{key}.capacityProviders", "capacity provider name")
    _unique([s.name for s in services], f"{key}.services", "service name")
    return PlannedEcsCluster(_cluster_name(raw["name"], f"{key}.name"), tuple(providers), tuple(services))


def _eks_cluster(
    item: Any,
    key: str,
    subnets: Mapping[str, PlannedSubnet],
    vpcs: Mapping[str, PlannedVpc],
    limits: Mapping[str, InstanceNetworkLimits],
) -> PlannedEksCluster:
    known = (
        "name",
        "vpc",
        "serviceIpv4Cidr",
        "controlPlaneSubnets",
        "cni",
        "daemonSetPodsPerNode",
        "nodegroups",
        "fargateProfiles",
    )
    raw = _mapping(item, key, known, ("name", "controlPlaneSubnets"))
    name = _cluster_name(raw["name"], f"{key}.name")
    control_plane = _subnet_refs(raw["controlPlaneSubnets"], f"{key}.controlPlaneSubnets", subnets)
    vpc = raw.get("vpc", subnets[control_plane[0]].vpc)
    if vpc not in vpcs:
        raise ConfigError(f"{key}.vpc", vpc, "is not a VPC of the plan")
    service_cidr = raw.get("serviceIpv4Cidr")
    if service_cidr is not None:
        # Kept as written (host bits and all) so the check can judge it; only the syntax is refused.
        try:
            service_cidr = str(ipaddress.IPv4Network(service_cidr, strict=False))
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{key}.serviceIpv4Cidr", service_cidr, f"is not an IPv4 CIDR block ({error})") from None
    try:
        cni = ScanConfig.from_mapping({"cni": {name: raw.get("cni", {})}}).cni[name]
    except ConfigError as error:
        raise ConfigError(f"{key}.{error.key.replace(f'cni.{name}', 'cni', 1)}", error.value, error.reason) from error
    nodegroups = []
    for index, entry in enumerate(_list(raw, "nodegroups", key)):
        at = f"{key}.nodegroups[{index}]"
        spec = _mapping(
            entry,
            at,
            ("name", "subnets", "instanceTypes", "maxSize", "podsPerNode"),
            ("name", "subnets", "instanceTypes", "maxSize"),
        )
        types = spec["instanceTypes"]
        if not isinstance(types, list) or not types:
            raise ConfigError(f"{at}.instanceTypes", types, "must be a non-empty list of instance types")
        for type_index, instance_type in enumerate(types):
            if instance_type not in limits:
                raise ConfigError(
                    f"{at}.instanceTypes[{type_index}]",
                    instance_type,
                    'has unknown network limits; add it to the plan\'s "instanceTypes" '
                    '({"vcpus", "maxEnis", "ipv4PerEni"} from aws ec2 describe-instance-types)',
                )
        pods = spec.get("podsPerNode")
        nodegroups.append(
            PlannedNodegroup(
                _name(spec["name"], f"{at}.name"),
                _subnet_refs(spec["subnets"], f"{at}.subnets", subnets),
                tuple(types),
                _count(spec["maxSize"], f"{at}.maxSize"),
                None if pods is None else _count(pods, f"{at}.podsPerNode"),
            )
        )
    profiles = []
    for index, entry in enumerate(_list(raw, "fargateProfiles", key)):
        at = f"{key}.fargateProfiles[{index}]"
        spec = _mapping(entry, at, ("name", "subnets", "maxPods"), ("name", "subnets", "maxPods"))
        profiles.append(
            PlannedFargateProfile(
                _name(spec["name"], f"{at}.name"),
                _subnet_refs(spec["subnets"], f"{at}.subnets", subnets),
                _count(spec["maxPods"], f"{at}.maxPods"),
            )
        )
    _unique([n.name for n in nodegroups], f"{key}.nodegroups", "node group name")
    _unique([p.name for p in profiles], f"{key}.fargateProfiles", "Fargate profile name")
    return PlannedEksCluster(
        name=name,
        vpc=vpc,
        control_plane_subnets=control_plane,
        service_ipv4_cidr=service_cidr,
        cni=cni,
        daemonset_pods_per_node=_count(raw.get("daemonSetPodsPerNode", 0), f"{key}.daemonSetPodsPerNode"),
        nodegroups=tuple(nodegroups),
        fargate_profiles=tuple(profiles),
    )
