"""How many addresses workloads take from their subnets at their configured maximum.

Pure: no AWS imports, no I/O. The adapters hand in plain values (``DescribeInstanceTypes``
entries, node group sizes, service maxima) and get counts back. Every rule below cites the AWS
page or the source file it follows; where AWS leaves something open (which zone gets the odd
task, which subnet the trunk ENI lands in) the assumption is written down where it is made.

Models, in one line each:

- EKS node (VPC CNI): its ENIs' primary addresses, plus the secondary addresses or /28
  prefixes that hold its pods, plus the warm pool the CNI settings keep
  (:func:`node_allocation`).
- Max pods per node: the amazon-eks-ami formula, both modes (:func:`max_pods`,
  :func:`recommended_max_pods`).
- ECS service: one address per ``awsvpc`` task, at the rolling-deployment peak
  (:func:`ecs_service_addresses`).
- ECS capacity-provider Auto Scaling group: one per instance, two with ENI trunking
  (:func:`ecs_asg_addresses`).
- EKS Fargate: one per pod (:func:`fargate_addresses`).
- EKS control plane: the free addresses AWS asks for (:func:`eks_control_plane_shortfall`).
- Spread over subnets the way AWS balances zones (:func:`spread`).

Longer than ~400 lines because each model keeps its AWS citation and constants beside it; the
models are small and independent, and splitting them would only scatter the sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from subnet_monitor.core.findings import Finding, Severity

# --- EC2 -------------------------------------------------------------------------------------

# A delegated IPv4 prefix is a /28: 16 addresses carved out of the subnet, taking one of the
# ENI's address slots. https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html
IPS_PER_PREFIX = 16

# --- amazon-eks-ami max pods -----------------------------------------------------------------
# eni-max-pods.txt: "First IP on each ENI is not used for pods; +2 for the pods that use
# host-networking (AWS CNI and kube-proxy)": # of ENI * (# of IPv4 per ENI - 1) + 2.
# https://github.com/awslabs/amazon-eks-ami/blob/main/templates/shared/runtime/eni-max-pods.txt
HOST_NETWORK_PODS = 2
# max-pods-calculator.sh caps its answer at 110, or at 250 when the instance has more than 30
# vCPUs (`if [ "$CPU_COUNT" -gt 30 ]`), in both modes; the EKS user guide explains 110 by the
# Kubernetes scalability thresholds and 250 by EKS's own testing.
# https://github.com/awslabs/amazon-eks-ami/blob/main/templates/al2/runtime/max-pods-calculator.sh
# https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html
MAX_PODS_CEILING_LOW_CPU = 110
MAX_PODS_CEILING_HIGH_CPU = 250
MAX_PODS_HIGH_CPU_ABOVE_VCPUS = 30

# --- VPC CNI defaults ------------------------------------------------------------------------
# README "WARM_ENI_TARGET ... Default: 1"; WARM_IP_TARGET, MINIMUM_IP_TARGET and
# WARM_PREFIX_TARGET have "Default: None" in the README, but the aws-node manifest AWS ships
# (and the EKS add-on) sets WARM_PREFIX_TARGET=1, which is what a cluster actually runs with.
# https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md
# https://github.com/aws/amazon-vpc-cni-k8s/blob/master/config/master/aws-k8s-cni.yaml
DEFAULT_WARM_ENI_TARGET = 1
DEFAULT_WARM_PREFIX_TARGET = 1

# --- ECS -------------------------------------------------------------------------------------
# DeploymentConfiguration.maximumPercent: "The default maximumPercent value for a service using
# the REPLICA service scheduler is 200%."
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
DEFAULT_MAXIMUM_PERCENT = 200
# "Each Amazon ECS task that uses the awsvpc network mode receives its own elastic network
# interface (ENI)" -- one address from the task's subnet, EC2 or Fargate. With trunking: "The
# container instance will have the primary network interface and Amazon ECS creates and
# attaches a 'trunk' network interface to the container instance."
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
ADDRESSES_PER_AWSVPC_TASK = 1
ADDRESSES_PER_INSTANCE = 1
ADDRESSES_PER_TRUNK_ENI = 1

# --- EKS -------------------------------------------------------------------------------------
# "The subnets must each have at least six IP addresses for use by Amazon EKS. However, we
# recommend at least 16 IP addresses."
EKS_NETWORK_REQS_URL = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
EKS_CLUSTER_SUBNET_MIN_FREE_IPS = 6
EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS = 16
# "To update the cluster, Amazon EKS requires up to five available IP addresses from the
# subnets that you specified when you created your cluster."
EKS_UPDATE_CLUSTER_URL = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"
EKS_CLUSTER_UPDATE_FREE_IPS = 5
# Finding codes of a cluster subnet short of what EKS asks for, one per threshold crossed.
EKS_CONTROL_PLANE_BELOW_RECOMMENDED = "eks-control-plane.below-recommended"
EKS_CONTROL_PLANE_BELOW_REQUIRED = "eks-control-plane.below-required"
EKS_CONTROL_PLANE_BELOW_UPDATE = "eks-control-plane.below-update-minimum"
# A Fargate pod is a node of its own ("Pod density per node: One"), addressed from the subnets
# of its Fargate profile. https://docs.aws.amazon.com/eks/latest/userguide/pod-networking-use-cases.html
ADDRESSES_PER_FARGATE_POD = 1


@dataclass(frozen=True)
class InstanceNetworkLimits:
    """What an instance type can attach, from ``ec2:DescribeInstanceTypes``.

    ``max_enis`` counts the network interfaces of the default network card only: the VPC CNI
    assigns pod addresses on that card alone, and eni-max-pods.txt is computed the same way
    ("For multi-card instance types (p5.48xlarge) the max limits is calculated only against the
    default network card at index (0)"). ``nitro`` says whether the type can take prefixes:
    the CNI falls back to secondary addresses on other hypervisors.
    """

    instance_type: str
    vcpus: int
    max_enis: int
    ipv4_per_eni: int
    nitro: bool = True

    def __post_init__(self) -> None:
        for name in ("vcpus", "max_enis", "ipv4_per_eni"):
            if getattr(self, name) < 1:
                raise ValueError(f"{self.instance_type}: {name} must be at least 1, got {getattr(self, name)}")

    @property
    def slots_per_eni(self) -> int:
        """Secondary addresses, or /28 prefixes, one ENI can hold: its IPv4 limit less the
        primary address (a prefix takes a slot like a secondary address does)."""
        return self.ipv4_per_eni - 1


def limits_from_instance_type(entry: Mapping[str, Any]) -> InstanceNetworkLimits:
    """Build :class:`InstanceNetworkLimits` from one ``DescribeInstanceTypes`` entry.

    Reads ``InstanceType``, ``VCpuInfo.DefaultVCpus``, ``NetworkInfo.Ipv4AddressesPerInterface``
    and the ENI limit of the default network card (``NetworkInfo.NetworkCards`` at
    ``DefaultNetworkCardIndex``), falling back to ``NetworkInfo.MaximumNetworkInterfaces`` when
    the entry lists no cards. Nitro is ``Hypervisor == "nitro"`` or ``BareMetal`` (the VPC CNI
    supports prefixes on Nitro bare metal since v1.11).

    Raises
    ------
    ValueError
        naming the missing key when the entry lacks one.
    """
    try:
        name = entry["InstanceType"]
        network = entry["NetworkInfo"]
        vcpus = entry["VCpuInfo"]["DefaultVCpus"]
        ipv4_per_eni = network["Ipv4AddressesPerInterface"]
        max_enis = network["MaximumNetworkInterfaces"]
    except KeyError as missing:
        raise ValueError(f"DescribeInstanceTypes entry has no {missing.args[0]}") from None
    default_card = network.get("DefaultNetworkCardIndex", 0)
    for card in network.get("NetworkCards", ()):
        if card.get("NetworkCardIndex", 0) == default_card:
            max_enis = card["MaximumNetworkInterfaces"]
            break
    nitro = entry.get("Hypervisor") == "nitro" or bool(entry.get("BareMetal", False))
    return InstanceNetworkLimits(name, int(vcpus), int(max_enis), int(ipv4_per_eni), nitro)


@dataclass(frozen=True)
class CniSettings:
    """The VPC CNI (``aws-node``) settings that decide how many addresses a node holds.

    Defaults are what the CNI runs with out of the box (see the constants above). Values of 0 or
    less for ``warm_ip_target`` / ``minimum_ip_target`` mean "unset", as in the CNI README
    ("Setting this to a non-positive value is the same as setting this to 0 or not setting the
    variable"). ``max_pods`` is the kubelet's maxPods when known (the node's pod capacity);
    ``None`` means the AMI default, :func:`max_pods`.
    """

    prefix_delegation: bool = False
    warm_eni_target: int = DEFAULT_WARM_ENI_TARGET
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int = DEFAULT_WARM_PREFIX_TARGET
    max_pods: int | None = None

    def __post_init__(self) -> None:
        for name in ("warm_eni_target", "warm_prefix_target"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.max_pods is not None and self.max_pods < 1:
            raise ValueError(f"max_pods must be at least 1, got {self.max_pods}")

    @property
    def warm_ip(self) -> int:
        return max(self.warm_ip_target or 0, 0)

    @property
    def minimum_ip(self) -> int:
        return max(self.minimum_ip_target or 0, 0)

    @property
    def ip_targets_set(self) -> bool:
        """WARM_IP_TARGET or MINIMUM_IP_TARGET is in force. Then they "override WARM_ENI_TARGET"
        in secondary-IP mode and "override WARM_PREFIX_TARGET" in prefix mode (CNI README;
        ``datastoreTargetState`` in pkg/ipamd/ipamd.go)."""
        return self.warm_ip > 0 or self.minimum_ip > 0


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _ceiling_for(limits: InstanceNetworkLimits) -> int:
    high = limits.vcpus > MAX_PODS_HIGH_CPU_ABOVE_VCPUS
    return MAX_PODS_CEILING_HIGH_CPU if high else MAX_PODS_CEILING_LOW_CPU


def _eni_max_pods(limits: InstanceNetworkLimits, prefix_delegation: bool) -> int:
    """The calculator's ``--show-max-allowed`` value: what the addresses alone allow."""
    if prefix_delegation and limits.nitro:
        # calculate_max_ip_addresses_prefix_delegation: enis * ((max_eni_ips - 1) * 16) + 2
        return limits.max_enis * (limits.slots_per_eni * IPS_PER_PREFIX) + HOST_NETWORK_PODS
    # calculate_max_ip_addresses_secondary_ips: enis * (max_eni_ips - 1) + 2
    return limits.max_enis * limits.slots_per_eni + HOST_NETWORK_PODS


def max_pods(limits: InstanceNetworkLimits, prefix_delegation: bool) -> int:
    """Max pods per node as the amazon-eks-ami publishes it.

    Secondary-IP mode: ENIs × (IPv4 per ENI − 1) + 2, the eni-max-pods.txt value the AMI gives
    the kubelet by default (``m5.large`` 29, ``c5.18xlarge`` 737). Prefix mode:
    ENIs × ((IPv4 per ENI − 1) × 16) + 2, capped like max-pods-calculator.sh caps it: 110, or 250
    above 30 vCPUs (``m5.large`` 110, ``m5.8xlarge`` 250). A type that is not Nitro gets the
    secondary-IP formula in prefix mode, since the CNI falls back to secondary addresses there
    ("Prefix delegation is not supported on non-nitro instance ... falling back to default
    (secondary IP) mode", pkg/ipamd/ipamd.go), and the same 110 / 250 cap: prefix mode's maxPods
    is what the calculator recommends, and the script takes the secondary-IP formula off Nitro
    (``[ "$IS_NITRO" = true ] && [ "$CNI_PREFIX_DELEGATION_ENABLED" = true ]``) before capping
    (``m4.4xlarge`` 110, ``r4.16xlarge`` 250, where eni-max-pods.txt says 234 and 737).

    >>> max_pods(InstanceNetworkLimits("m5.large", 2, 3, 10), prefix_delegation=False)
    29
    >>> max_pods(InstanceNetworkLimits("m5.large", 2, 3, 10), prefix_delegation=True)
    110
    >>> max_pods(InstanceNetworkLimits("m4.4xlarge", 16, 8, 30, nitro=False), prefix_delegation=True)
    110
    """
    if prefix_delegation:
        return recommended_max_pods(limits, prefix_delegation)
    return _eni_max_pods(limits, prefix_delegation)


def recommended_max_pods(limits: InstanceNetworkLimits, prefix_delegation: bool) -> int:
    """max-pods-calculator.sh's default answer: :func:`max_pods` capped at 110 / 250 in both modes.

    This is also what EKS managed node groups without a custom AMI enforce: "For instances with
    less than 30 vCPUs, the cap is 110. For instances with greater than 30 vCPUs, the cap is 250"
    (choosing-instance-type.html, "How maxPods is determined"). Exactly 30 vCPUs takes 110, as
    the script's ``-gt 30`` does.

    >>> recommended_max_pods(InstanceNetworkLimits("c5.18xlarge", 72, 15, 50), prefix_delegation=False)
    250
    """
    return min(_eni_max_pods(limits, prefix_delegation), _ceiling_for(limits))


def custom_networking_limits(limits: InstanceNetworkLimits) -> InstanceNetworkLimits | None:
    """The ENIs a node has for pods under VPC CNI custom networking: one fewer, since "the primary
    network interface ... is not used for pods" and keeps only the node's own address in the node's
    subnet; the pod ENIs are created in the ENIConfig subnet of the node's zone
    (https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html).

    :func:`max_pods` and :func:`node_allocation` of the result are the custom-networking figures:
    max-pods-calculator.sh with ``--cni-custom-networking-enabled`` takes one ENI off
    (``enis_for_pods=$((enis_for_pods - 1))``) before both formulas and the 110 / 250 cap
    (amazon-eks-ami, templates/al2/runtime/max-pods-calculator.sh): ``m5.large`` 2 × 9 + 2 = 20.
    ``None`` for a type with one ENI: no pod ENI at all.

    >>> max_pods(custom_networking_limits(InstanceNetworkLimits("m5.large", 2, 3, 10)), prefix_delegation=False)
    20
    """
    if limits.max_enis < 2:
        return None
    return replace(limits, max_enis=limits.max_enis - 1)


@dataclass(frozen=True)
class NodeAllocation:
    """What one node holds in its subnet: attached ENIs (each has a primary address), secondary
    addresses (secondary-IP mode) and /28 prefixes (prefix mode)."""

    enis: int
    secondary_ips: int = 0
    prefixes: int = 0

    @property
    def addresses(self) -> int:
        """Subnet addresses the node takes: ENI primaries + secondaries + 16 per prefix."""
        return self.enis + self.secondary_ips + self.prefixes * IPS_PER_PREFIX


def _units_held(needed: int, target: int, cap: int, max_pods_units: int) -> int:
    """How many allocation units (ENIs, addresses or prefixes) ipamd ends up holding.

    It holds at least what the pods use (``needed``) and grows toward the warm ``target``, but
    "If max pods has been reached, pool is not too low" (``isDatastorePoolTooLow``): growth stops
    once the held addresses reach maxPods, which is ``max_pods_units`` units. Never beyond the
    instance's ``cap``.
    """
    return min(cap, max(needed, min(target, max_pods_units)))


def _warm_units(used: int, unit: int, warm: int) -> int:
    """Units (ENIs of ``unit`` addresses, or prefixes) ipamd wants for ``used`` addresses and a warm
    target of ``warm`` whole free units: it grows while "available < totalIPs*warmTarget ||
    (warmTarget == 0 && available == 0)" (``isDatastorePoolTooLow``)."""
    if warm == 0:
        return used // unit + 1
    return _ceil_div(used, unit) + warm


def node_allocation(limits: InstanceNetworkLimits, settings: CniSettings, pods: int) -> NodeAllocation:
    """The ENIs, secondary addresses and prefixes one EKS node holds while running ``pods`` pods.

    The model is ipamd's steady state after the pods arrived (pkg/ipamd/ipamd.go,
    ``isDatastorePoolTooLow`` / ``datastoreTargetState`` / ``datastorePrefixTargetState``),
    checked against the tables in docs/eni-and-ip-target.md and docs/prefix-and-ip-target.md:

    - ``pods`` counts pods with their own VPC address; host-network pods (``aws-node``,
      ``kube-proxy``, the "+2" of the max-pods formula) take none. More pods than the instance
      can address are cut to what it can (the rest would not start).
    - Secondary-IP mode, ``WARM_ENI_TARGET`` = W: "keep 1 elastic network interface and all of
      its IP addresses available"; ipamd adds whole ENIs, each filled with IPv4-per-ENI − 1
      secondaries, while free addresses < W × that. So ENIs = ceil(pods / per-ENI) + W (at
      least the primary ENI), each full.
    - Secondary-IP mode, ``WARM_IP_TARGET`` / ``MINIMUM_IP_TARGET`` (they override the ENI
      target): secondaries = max(pods + WARM_IP_TARGET, MINIMUM_IP_TARGET), on as many ENIs as
      that takes.
    - Prefix mode, ``WARM_PREFIX_TARGET`` = W: pods are packed into /28 prefixes and W wholly
      free prefixes are kept ("WARM_PREFIX_TARGET will allocate one full (/28) prefix even if a
      single IP is consumed with the existing prefix"); with W = 0 one more is taken whenever
      the last address is used (``warmTarget == 0 && available == 0``).
    - Prefix mode with ``WARM_IP_TARGET`` / ``MINIMUM_IP_TARGET``: prefixes =
      ceil(max(pods + WARM_IP_TARGET, MINIMUM_IP_TARGET) / 16) ("if the value of
      MINIMUM_IP_TARGET is bigger than N*16, it's equivalent to setting it to (N+1)*16").
      Prefixes fill an ENI's slots before another ENI is attached ("New ENI will only be
      allocated after we exhaust all the prefixes allocated to existing ENIs").
    - Growth stops once the node holds maxPods addresses (``settings.max_pods``, else
      :func:`max_pods`), and never passes the instance's ENI and per-ENI limits.

    Assumptions: pods share the node's subnet (no custom networking / ENIConfig), no security
    groups for pods (no trunk ENI), ``MAX_ENI`` unset, IPv4. With ``MINIMUM_IP_TARGET`` set and
    ``WARM_IP_TARGET`` unset the CNI README warns that no addresses beyond the minimum are
    allocated, so pods past it would not start; the model still counts an address for each pod
    (an upper bound, the safe side for headroom).
    """
    if pods < 0:
        raise ValueError(f"pods must be 0 or more, got {pods}")
    slots = limits.slots_per_eni
    if slots == 0:
        return NodeAllocation(enis=1)
    node_max_pods = settings.max_pods or max_pods(limits, settings.prefix_delegation)
    if settings.prefix_delegation and limits.nitro:
        cap = limits.max_enis * slots
        used = min(pods, cap * IPS_PER_PREFIX)
        needed = _ceil_div(used, IPS_PER_PREFIX)
        if settings.ip_targets_set:
            target = _ceil_div(max(used + settings.warm_ip, settings.minimum_ip), IPS_PER_PREFIX)
        else:
            target = _warm_units(used, IPS_PER_PREFIX, settings.warm_prefix_target)
        prefixes = _units_held(needed, target, cap, _ceil_div(node_max_pods, IPS_PER_PREFIX))
        return NodeAllocation(enis=max(1, _ceil_div(prefixes, slots)), prefixes=prefixes)
    cap = limits.max_enis * slots
    used = min(pods, cap)
    if settings.ip_targets_set:
        target = max(used + settings.warm_ip, settings.minimum_ip)
        secondaries = _units_held(used, target, cap, node_max_pods)
        return NodeAllocation(enis=max(1, _ceil_div(secondaries, slots)), secondary_ips=secondaries)
    needed = max(1, _ceil_div(used, slots))
    target = _warm_units(used, slots, settings.warm_eni_target)
    enis = _units_held(needed, target, limits.max_enis, _ceil_div(node_max_pods, slots))
    return NodeAllocation(enis=enis, secondary_ips=enis * slots)


def node_addresses(limits: InstanceNetworkLimits, settings: CniSettings, pods: int) -> int:
    """Addresses one EKS node takes from its subnet while running ``pods`` pods (see
    :func:`node_allocation` for the model and its assumptions).

    >>> t3_small = InstanceNetworkLimits("t3.small", 2, 3, 4)
    >>> node_addresses(t3_small, CniSettings(), pods=5)  # 3 ENIs, all 9 secondaries
    12
    """
    return node_allocation(limits, settings, pods).addresses


def node_addresses_at_max(limits: InstanceNetworkLimits, settings: CniSettings) -> int:
    """Addresses one node takes when it runs as many pods as it may: maxPods (``settings.max_pods``,
    else :func:`max_pods`) less the two host-network pods."""
    ceiling = settings.max_pods or max_pods(limits, settings.prefix_delegation)
    return node_addresses(limits, settings, max(ceiling - HOST_NETWORK_PODS, 0))


def managed_node_allocation(
    limits: InstanceNetworkLimits, settings: CniSettings, pods_per_node: int | None = None
) -> NodeAllocation:
    """What one node of an EKS managed node group holds at the group's maximum.

    maxPods is ``settings.max_pods`` when configured, else what managed node groups enforce
    (:func:`recommended_max_pods`: capped at 110 below 30 vCPUs and 250 above, both modes). The
    node runs maxPods less the two host-network pods (``aws-node``, ``kube-proxy``), or, when
    ``pods_per_node`` says how many pods with their own address a node is planned to run, that
    many (never more than fit). The monitor's headroom and the design check both size nodes here.

    >>> managed_node_allocation(InstanceNetworkLimits("m5.large", 2, 3, 10), CniSettings()).addresses
    30
    >>> managed_node_allocation(InstanceNetworkLimits("m5.large", 2, 3, 10), CniSettings(), pods_per_node=5).addresses
    20
    """
    ceiling = settings.max_pods or recommended_max_pods(limits, settings.prefix_delegation)
    room = max(ceiling - HOST_NETWORK_PODS, 0)
    pods = room if pods_per_node is None else min(max(pods_per_node, 0), room)
    return node_allocation(limits, replace(settings, max_pods=ceiling), pods)


def ecs_service_peak_tasks(max_tasks: int, maximum_percent: int = DEFAULT_MAXIMUM_PERCENT) -> int:
    """Tasks a service can run at once during a rolling deployment at its maximum size.

    ``maximumPercent`` is "an upper limit on the number of your service's tasks that are allowed
    in the RUNNING or PENDING state during a deployment, as a percentage of the desiredCount
    (rounded down to the nearest integer)" (API_DeploymentConfiguration). So the peak is
    floor(max_tasks × maximumPercent / 100), never below ``max_tasks`` itself.

    >>> ecs_service_peak_tasks(4)
    8
    >>> ecs_service_peak_tasks(3, maximum_percent=150)
    4
    """
    if max_tasks < 0 or maximum_percent < 0:
        raise ValueError(f"max_tasks and maximum_percent must be 0 or more, got {max_tasks}, {maximum_percent}")
    return max(max_tasks, max_tasks * maximum_percent // 100)


def ecs_service_addresses(max_tasks: int, maximum_percent: int = DEFAULT_MAXIMUM_PERCENT) -> int:
    """Addresses an ``awsvpc`` service (EC2 or Fargate) takes at its deployment peak: one per task."""
    return ecs_service_peak_tasks(max_tasks, maximum_percent) * ADDRESSES_PER_AWSVPC_TASK


def ecs_asg_addresses(max_size: int, trunking: bool) -> int:
    """Addresses a capacity provider's Auto Scaling group takes in its instance subnets at MaxSize.

    One per instance (the primary network interface), plus one per instance for the trunk ENI
    that ECS "creates and attaches" when ``awsvpcTrunking`` is on. Assumption: the trunk ENI
    sits in the instance's own subnet (the ECS guide does not name its subnet; it is an ENI
    attached to the instance, so in the instance's Availability Zone). Task ENIs, trunked or
    not, take their addresses from the tasks' subnets and are counted per service.
    """
    if max_size < 0:
        raise ValueError(f"max_size must be 0 or more, got {max_size}")
    per_instance = ADDRESSES_PER_INSTANCE + (ADDRESSES_PER_TRUNK_ENI if trunking else 0)
    return max_size * per_instance


def fargate_addresses(pods: int) -> int:
    """Addresses EKS Fargate pods take from the profile's subnets: one per pod."""
    if pods < 0:
        raise ValueError(f"pods must be 0 or more, got {pods}")
    return pods * ADDRESSES_PER_FARGATE_POD


def _split(total: int, keys: Sequence[str]) -> dict[str, int]:
    base, remainder = divmod(total, len(keys))
    return {key: base + (1 if index < remainder else 0) for index, key in enumerate(keys)}


def spread(total: int, subnets: Sequence[str], zones: Mapping[str, str] | None = None) -> dict[str, int]:
    """Share ``total`` tasks or instances out over ``subnets`` the way AWS balances them.

    Auto Scaling "maintains an equal number of instances across enabled Availability Zones"
    (ec2-auto-scaling-availability-zone-balanced.html) and an ECS service whose first placement
    strategy is Availability Zone spread gets "a best effort to evenly distribute service tasks
    across the available Availability Zones" (service-rebalancing.html; Fargate and the console's
    defaults spread by zone). So the split is even over zones first, then even over a zone's
    subnets. ``zones`` maps subnet ID to its zone; without it every subnet counts as its own zone.

    AWS does not say which zone gets the odd instance; here the remainder goes one each to the
    zones, then the subnets, in sorted order, so the same input always gives the same answer.
    The shares always add up to ``total``.

    >>> spread(5, ["subnet-b", "subnet-a"])
    {'subnet-a': 3, 'subnet-b': 2}

    Raises
    ------
    ValueError
        when ``total`` is negative, or positive with no subnet to put it in.
    """
    if total < 0:
        raise ValueError(f"total must be 0 or more, got {total}")
    unique = sorted(set(subnets))
    if not unique:
        if total:
            raise ValueError(f"no subnets to spread {total} over")
        return {}
    by_zone: dict[str, list[str]] = {}
    for subnet in unique:
        zone = zones.get(subnet, subnet) if zones is not None else subnet
        by_zone.setdefault(zone, []).append(subnet)
    shares: dict[str, int] = {}
    for zone, in_zone in _split(total, sorted(by_zone)).items():
        shares.update(_split(in_zone, by_zone[zone]))
    return shares


def eks_control_plane_shortfall(cluster: str, subnet_id: str, available: int) -> Finding | None:
    """A finding when a cluster subnet (``resourcesVpcConfig.subnetIds``) has fewer free addresses
    than EKS asks for, else ``None``.

    Thresholds: 16 recommended and 6 required for the cluster's network interfaces
    (network-reqs.html), and up to 5 taken while EKS replaces those interfaces during a version
    update (update-cluster.html). The advice is the one AWS gives: update the cluster's subnets to
    ones with room (same Availability Zones as at creation), or free addresses here. It is part of
    the message (the sentence has always carried no "Fix:"), so the finding has no separate fix.
    """
    if available >= EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS:
        return None
    if available < EKS_CLUSTER_UPDATE_FREE_IPS:
        code, severity, source = EKS_CONTROL_PLANE_BELOW_UPDATE, Severity.ERROR, EKS_UPDATE_CLUSTER_URL
        consequence = (
            f"below the {EKS_CLUSTER_UPDATE_FREE_IPS} a control-plane version update needs and the "
            f"{EKS_CLUSTER_SUBNET_MIN_FREE_IPS} EKS requires"
        )
    elif available < EKS_CLUSTER_SUBNET_MIN_FREE_IPS:
        code, severity, source = EKS_CONTROL_PLANE_BELOW_REQUIRED, Severity.ERROR, EKS_NETWORK_REQS_URL
        consequence = f"below the {EKS_CLUSTER_SUBNET_MIN_FREE_IPS} EKS requires for its network interfaces"
    else:
        code, severity, source = EKS_CONTROL_PLANE_BELOW_RECOMMENDED, Severity.WARNING, EKS_NETWORK_REQS_URL
        consequence = f"below the {EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS} EKS recommends"
    return Finding(
        code=code,
        severity=severity,
        subject=subnet_id,
        message=(
            f"EKS cluster {cluster}: subnet {subnet_id} has {available} free addresses, {consequence}; "
            "free addresses here or move the cluster to subnets with room "
            "(aws eks update-cluster-config --resources-vpc-config subnetIds=..., same Availability Zones)"
        ),
        source=source,
    )
