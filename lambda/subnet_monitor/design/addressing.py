"""The addressing rules: the EKS service CIDR, each workload subnet's size at maximum scale (with
the smallest subnet that would fit and a free block for it), free /28 blocks for prefix delegation,
and overlaps between subnets, VPCs and peered networks. Pure: no AWS, no I/O.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence

from subnet_monitor.core.findings import Finding
from subnet_monitor.core.models import ClusterDesign
from subnet_monitor.design.model import WORKLOAD_ROLES, Design, Result, SubnetDesign, SubnetSizing, verdict
from subnet_monitor.design.sizing import (
    DEFAULT_SERVICE_CIDR_FOR_10_VPC,
    AddressNeed,
    FreeBlocks,
    default_service_cidr,
    empty_free_blocks,
    fits,
    smallest_fitting_prefix,
    with_margin,
)

# The Kubernetes service CIDR rules of the EKS API.
SERVICE_CIDR_PRIVATE_BLOCKS = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SERVICE_CIDR_PREFIX_MIN = 12  # largest allowed block
SERVICE_CIDR_PREFIX_MAX = 24  # smallest allowed block


def service_cidr_rules(design: Design, cluster: ClusterDesign) -> list[Finding]:
    subject = f"EKS cluster {cluster.name}"
    vpc_cidrs = design.vpcs.get(cluster.vpc, ())
    if cluster.service_ipv4_cidr is None:
        cidr = default_service_cidr(vpc_cidrs)
        why = (
            "a VPC CIDR lies in 10.0.0.0/8"
            if cidr == DEFAULT_SERVICE_CIDR_FOR_10_VPC
            else "no VPC CIDR lies in 10.0.0.0/8"
        )
        origin = f"serviceIpv4Cidr is not set: EKS assigns {cidr} ({why})"
        named = f"the default service CIDR {cidr}"
    else:
        cidr = cluster.service_ipv4_cidr
        origin = named = f"serviceIpv4Cidr {cidr}"
    network = ipaddress.IPv4Network(cidr)
    fix_new = "set serviceIpv4Cidr when creating the cluster (it cannot be changed later)"
    results = []
    inside = [str(b) for b in SERVICE_CIDR_PRIVATE_BLOCKS if network.subnet_of(b)]
    results.append(
        verdict("eks-service-cidr-range", subject, Result.PASS, f"{origin}, inside {inside[0]}")
        if inside
        else verdict(
            "eks-service-cidr-range",
            subject,
            Result.FAIL,
            f"{origin} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, which EKS requires",
            f"{fix_new}, from one of those blocks",
        )
    )
    if SERVICE_CIDR_PREFIX_MIN <= network.prefixlen <= SERVICE_CIDR_PREFIX_MAX:
        results.append(
            verdict(
                "eks-service-cidr-size",
                subject,
                Result.PASS,
                f"{cidr} is a /{network.prefixlen}, between /{SERVICE_CIDR_PREFIX_MAX} and /{SERVICE_CIDR_PREFIX_MIN}",
            )
        )
    else:
        results.append(
            verdict(
                "eks-service-cidr-size",
                subject,
                Result.FAIL,
                f"{origin} is a /{network.prefixlen}; EKS accepts "
                f"/{SERVICE_CIDR_PREFIX_MAX} to /{SERVICE_CIDR_PREFIX_MIN}",
                f"{fix_new}, sized /{SERVICE_CIDR_PREFIX_MAX} to /{SERVICE_CIDR_PREFIX_MIN} (a /16 is common)",
            )
        )
    clashes = [c for c in vpc_cidrs if network.overlaps(ipaddress.IPv4Network(c))]
    vpc = design.vpc_label(cluster.vpc)
    if cluster.vpc not in design.vpcs:
        pass  # the VPC's CIDRs could not be read: nothing to compare against
    elif clashes:
        results.append(
            verdict(
                "eks-service-cidr-vpc-overlap",
                subject,
                Result.FAIL,
                f"{named} overlaps CIDR {', '.join(clashes)} of VPC {vpc}: "
                "services and pods or nodes would share addresses",
                f"{fix_new}, outside every CIDR of the VPC (primary and secondary)",
            )
        )
    else:
        results.append(
            verdict(
                "eks-service-cidr-vpc-overlap",
                subject,
                Result.PASS,
                f"{cidr} overlaps none of VPC {vpc}'s CIDRs ({', '.join(vpc_cidrs) or 'none known'})",
            )
        )
    peered = [f"{name} {c}" for name, c in design.peered.items() if network.overlaps(ipaddress.IPv4Network(c))]
    if peered:
        results.append(
            verdict(
                "eks-service-cidr-peered-overlap",
                subject,
                Result.WARN,
                f"{named} overlaps {', '.join(peered)}: pods cannot reach those addresses of the connected network "
                "(traffic to them stays inside the cluster)",
                f"{fix_new}, in a block no connected network uses",
            )
        )
    else:
        checked = ", ".join(f"{n} {c}" for n, c in design.peered.items()) or "none given"
        results.append(
            verdict(
                "eks-service-cidr-peered-overlap",
                subject,
                Result.PASS,
                f"{cidr} overlaps no peered or planned network ({checked})",
            )
        )
    return results


def prefix_block_rules(subnet: SubnetDesign) -> list[Finding]:
    if subnet.free_prefix_blocks is None:
        return []
    subject = f"subnet {subnet.label}"
    if subnet.free_prefix_blocks > 0:
        return [
            verdict(
                "subnet-prefix-blocks",
                subject,
                Result.PASS,
                f"{subnet.free_prefix_blocks} free aligned /28 blocks for prefix delegation",
            )
        ]
    return [
        verdict(
            "subnet-prefix-blocks",
            subject,
            Result.FAIL,
            "no free aligned /28 block: prefix delegation cannot add a prefix here (InsufficientCidrBlocks)",
            "a subnet CIDR reservation of type prefix over a range that is emptying, or a new subnet for the "
            "prefix-mode nodes",
        )
    ]


def free_space(design: Design) -> FreeBlocks:
    """The free space of the design's VPCs, for :func:`sizing_rule` to propose blocks from."""
    subnets: dict[str, list[str]] = defaultdict(list)
    for subnet in design.subnets.values():
        subnets[subnet.vpc].append(subnet.cidr)
    return FreeBlocks(design.vpcs, subnets, design.other_cidrs, design.peered.values())


def sizing_rule(design: Design, subnet: SubnetDesign, free: FreeBlocks) -> tuple[Finding, SubnetSizing] | None:
    """``free``: :func:`free_space`, shared by the subnets in turn; a block proposed here is taken
    from it, so that no two proposals collide."""
    if subnet.needed_at_max is None or not subnet.roles & WORKLOAD_ROLES:
        return None
    margin = design.margin_percent
    need = AddressNeed(
        addresses=subnet.in_use + subnet.needed_at_max,
        prefix_blocks=subnet.prefix_blocks_at_max,
        singles=subnet.singles_at_max,
    )
    prefix_length = ipaddress.IPv4Network(subnet.cidr).prefixlen
    usable = subnet.usable
    required = with_margin(need.addresses, margin)
    holds = f"{need.addresses} addresses at maximum scale ({subnet.in_use} held already + {subnet.needed_at_max} more"
    if subnet.contributions:
        holds += ": " + ", ".join(f"{name} {count}" for name, count in subnet.contributions)
    holds += ")"
    if need.prefix_blocks is not None:
        holds += (
            f"; prefix delegation: {need.prefix_blocks} aligned /28 prefixes and {need.singles} single addresses, "
            f"/{prefix_length} has {empty_free_blocks(prefix_length)} free /28 blocks"
        )
    if fits(prefix_length, need, margin):
        level, outcome = Result.PASS, f"fits with the {margin:g} % margin ({required} ≤ {usable} usable)"
    elif fits(prefix_length, need):
        level, outcome = Result.WARN, f"fits, but not with the {margin:g} % margin ({required} > {usable} usable)"
    else:
        short = need.addresses - usable
        outcome = (
            f"does not fit: {usable} usable, short by {short}"
            if short > 0
            else f"does not fit: not enough free aligned /28 blocks in {usable} usable"
        )
        level = Result.FAIL
    smallest = smallest_fitting_prefix(need, margin) if level is not Result.PASS else None
    fix = None
    if level is not Result.PASS:
        if smallest is None:
            fix = "not even a /16 holds it: spread the workloads over more subnets"
        else:
            block = free.first(subnet.vpc, smallest, own=subnet.cidr)
            if block:
                free.take(block)
            where = f" (e.g. {block} is free in VPC {design.vpc_label(subnet.vpc)})" if block else ""
            fix = (
                f"/{smallest} is the smallest subnet that fits with the {margin:g} % margin: "
                f"{2 ** (32 - smallest) - 5} usable{where}; or add a subnet in this zone to the workloads, "
                "or lower their maximum"
            )
    result = verdict("subnet-sizing", f"subnet {subnet.label}", level, f"must hold {holds}: {outcome}", fix)
    row = SubnetSizing(
        key=subnet.key,
        label=subnet.label,
        vpc=subnet.vpc,
        availability_zone=subnet.availability_zone,
        cidr=subnet.cidr,
        usable=usable,
        in_use=subnet.in_use,
        needed_at_max=subnet.needed_at_max,
        required_with_margin=required,
        result=level,
        smallest_prefix=smallest,
        contributions=subnet.contributions,
        prefix_blocks=need.prefix_blocks,
    )
    return result, row


def overlap_rules(design: Design) -> list[Finding]:
    """Each subnet inside its VPC; the overlapping pairs of subnets (in address order); each VPC's
    CIDRs against the peered networks and the other VPCs'. Near-linear: a sweep over the subnets in
    address order, and an index of the VPC and peered CIDRs (see :func:`_overlapping_pairs` and
    :class:`_CidrIndex`), rather than comparing every pair."""
    results = []
    networks = {s.key: ipaddress.IPv4Network(s.cidr) for s in design.subnets.values()}
    vpc_networks = {vpc: [ipaddress.IPv4Network(c) for c in cidrs] for vpc, cidrs in design.vpcs.items()}
    subnets = sorted(design.subnets.values(), key=lambda s: networks[s.key])
    for subnet in subnets:
        network = networks[subnet.key]
        vpc_cidrs = design.vpcs.get(subnet.vpc)
        if vpc_cidrs is None:
            continue
        vpc = design.vpc_label(subnet.vpc)
        if any(network.subnet_of(n) for n in vpc_networks[subnet.vpc]):
            results.append(
                verdict(
                    "subnet-in-vpc", f"subnet {subnet.label}", Result.PASS, f"inside VPC {vpc} ({', '.join(vpc_cidrs)})"
                )
            )
        else:
            results.append(
                verdict(
                    "subnet-in-vpc",
                    f"subnet {subnet.label}",
                    Result.FAIL,
                    f"{subnet.cidr} is not inside any CIDR of VPC {vpc} ({', '.join(vpc_cidrs)}): EC2 refuses it",
                    "pick a range inside the VPC, or associate a secondary CIDR block with the VPC that holds it",
                )
            )
    clashes = _overlapping_pairs(subnets, [networks[s.key] for s in subnets])
    for first, second in clashes:
        same = first.vpc == second.vpc
        results.append(
            verdict(
                "subnet-overlap",
                f"subnets {first.key} and {second.key}",
                Result.FAIL if same else Result.WARN,
                f"{first.cidr} and {second.cidr} overlap"
                + (
                    f" in VPC {design.vpc_label(first.vpc)}: EC2 refuses the second one"
                    if same
                    else " (in different VPCs, which then cannot be connected)"
                ),
                "give each subnet its own range",
            )
        )
    if not clashes and subnets:
        results.append(verdict("subnet-overlap", "all subnets", Result.PASS, f"no two of the {len(subnets)} overlap"))
    # The peered networks first, then every VPC's CIDRs: the order the problems are told in.
    others = [(None, f"{name} {cidr}", ipaddress.IPv4Network(cidr)) for name, cidr in design.peered.items()]
    others += [
        (vpc, f"VPC {design.vpc_label(vpc)} {cidr}", network)
        for vpc, cidrs in design.vpcs.items()
        for cidr, network in zip(cidrs, vpc_networks[vpc], strict=True)
    ]
    index = _CidrIndex([network for _, _, network in others])
    for vpc, cidrs in sorted(design.vpcs.items()):
        problems = [
            f"{cidr} overlaps {others[i][1]}"
            for cidr, network in zip(cidrs, vpc_networks[vpc], strict=True)
            for i in index.overlapping(network)
            if others[i][0] != vpc
        ]
        subject = f"VPC {design.vpc_label(vpc)}"
        if problems:
            results.append(
                verdict(
                    "vpc-overlap",
                    subject,
                    Result.FAIL,
                    "; ".join(problems) + ": VPC peering refuses overlapping CIDRs and routes to them are ambiguous",
                    "renumber the VPC (or the overlapping secondary CIDR) into a range no connected network uses",
                )
            )
        else:
            checked = ", ".join(f"{n} {c}" for n, c in design.peered.items()) or "no peered networks given"
            results.append(
                verdict("vpc-overlap", subject, Result.PASS, f"{', '.join(cidrs)} overlap no other network ({checked})")
            )
    return results


def _overlapping_pairs(
    items: Sequence[SubnetDesign], networks: Sequence[ipaddress.IPv4Network]
) -> list[tuple[SubnetDesign, SubnetDesign]]:
    """Every overlapping pair of ``items``, whose ``networks`` are in address order: for each, the
    later ones that start before it ends (no later one that starts after it can overlap it)."""
    pairs = []
    for first, network in enumerate(networks):
        end = int(network.broadcast_address)
        second = first + 1
        while second < len(networks) and int(networks[second].network_address) <= end:
            pairs.append((items[first], items[second]))
            second += 1
    return pairs


class _CidrIndex:
    """Which of some CIDR blocks overlap a block. Two CIDR blocks overlap only when one holds the
    other, so those are the block's supernets (found by range) and the blocks that start within it
    (found by bisecting the blocks in address order)."""

    def __init__(self, networks: Sequence[ipaddress.IPv4Network]) -> None:
        self._at: dict[tuple[int, int], list[int]] = defaultdict(list)
        for position, network in enumerate(networks):
            self._at[int(network.network_address), network.prefixlen].append(position)
        self._ranges = sorted(self._at)

    def overlapping(self, network: ipaddress.IPv4Network) -> list[int]:
        """The positions of the blocks that overlap ``network``, in order."""
        start, prefix = int(network.network_address), network.prefixlen
        found = [p for length in range(prefix) for p in self._at.get(_supernet(start, length), ())]
        index = bisect_left(self._ranges, (start, prefix))
        while index < len(self._ranges) and self._ranges[index][0] < start + network.num_addresses:
            found += self._at[self._ranges[index]]
            index += 1
        return sorted(found)


def _supernet(start: int, prefix_length: int) -> tuple[int, int]:
    """The block of ``prefix_length`` holding the address ``start``, as (start, prefix length)."""
    shift = 32 - prefix_length
    return start >> shift << shift, prefix_length
