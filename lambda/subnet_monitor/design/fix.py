"""``subnet-monitor fix``: for every subnet a scan finds short, the concrete steps that give its
workloads room. Pure: it reads a scan's reports and the VPCs' address space, and writes plans; it
changes nothing.

A subnet is short when (each a finding or figure of the scan's report):

- its workloads cannot reach their maximum: negative ``scale_headroom`` (``headroom.short-at-max``);
  short by ``-scale_headroom`` addresses;
- it fills within the horizon at the rate of the last scans (``forecast.fills-within-horizon``);
  short by what that rate takes over one more horizon beyond what is free,
  ``available × (horizon / hours_to_exhaustion − 1)``;
- it is at or above the critical utilization, or below ``minFreeIps`` (the verdict's ``utilization.critical``
  and ``free.below-minimum``, docs/verdict.md; a subnet CRITICAL for another reason, such as no free /28,
  has that reason's own problem below); short by the addresses that bring
  its use under the warning threshold, ``⌈used × 100 / warning⌉ − usable``;
- an EKS cluster subnet has fewer free addresses than EKS recommends (16; ``eks-control-plane.*``);
  short by the difference (network-reqs.html);
- prefix delegation has no (or too few) free /28 (``fragmentation.*``): a reservation, not a new
  subnet, is the fix.

The shortfall is the largest of these; the new room is the shortfall plus the safety margin
(``--margin``, the design check's 20 % by default), as the fewest new subnets in the short subnet's
Availability Zone (AWS spreads a workload's addresses by zone). When the VPC has no room, one
secondary CIDR per VPC holds what its plans need (:func:`subnet_monitor.core.space.choose_secondary_cidr`).
Plans are made largest shortfall first, and every proposal is taken from the VPC's free space at
once, so two plans never propose overlapping blocks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from subnet_monitor.core.capacity import EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS
from subnet_monitor.core.fragmentation import FEW_FREE_PREFIXES, NO_FREE_PREFIX, PREFIX_BLOCK_SIZE
from subnet_monitor.core.headroom import CUSTOM_NETWORKING_URL, FILLS_WITHIN_HORIZON, SHORT_AT_MAX
from subnet_monitor.core.models import (
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    Role,
    SubnetReport,
    SubnetState,
    Workload,
)
from subnet_monitor.core.space import (
    SUBNET_CIDR_RESERVATION_URL,
    SUBNET_SIZING_URL,
    VPC_CIDR_BLOCKS_URL,
    VPC_LIMITS_URL,
    PrefixUsage,
    VpcSpace,
    choose_secondary_cidr,
    cidr_quota_reached,
    network,
    prefix_reservation,
    smallest_prefix_for,
    usable,
)
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN
from subnet_monitor.core.verdict import BELOW_MIN_FREE, UTILIZATION_CRITICAL
from subnet_monitor.design import fix_commands as cmd
from subnet_monitor.design.plan import DEFAULT_SAFETY_MARGIN_PERCENT
from subnet_monitor.design.sizing import with_margin

CRITICAL_UTILIZATION = "status.critical"
# The verdict's rules on the measured figures alone: the ones this problem sizes (utilization under warning).
CRITICAL_BY_MEASURE = frozenset({UTILIZATION_CRITICAL, BELOW_MIN_FREE})
EKS_CONTROL_PLANE_PREFIX = "eks-control-plane."
DELETE_ENI_URL = cmd.DELETE_ENI_URL
DEFAULT_WARNING_PERCENT = 80.0


@dataclass(frozen=True)
class FixInputs:
    """Everything the planner reads.

    ``vpc_cidrs``: each VPC's IPv4 CIDR blocks, the primary first (a VPC missing here could not be
    read: its plans say so and propose no block). ``vpc_subnets``: every subnet of those VPCs.
    ``avoid``: networks a secondary CIDR must not overlap, by name (the region's other VPCs, peered
    VPCs, transit gateway routes). ``leaked_enis``: subnet ID → (network interface ID, addresses) of
    leaked interfaces. ``prefix_usage``: for the subnets without free /28s.
    """

    reports: Sequence[SubnetReport]
    vpc_cidrs: Mapping[str, Sequence[str]]
    vpc_subnets: Mapping[str, SubnetState] = field(default_factory=dict)
    avoid: Mapping[str, str] = field(default_factory=dict)
    prefix_usage: Mapping[str, PrefixUsage] = field(default_factory=dict)
    leaked_enis: Mapping[str, Sequence[tuple[str, int]]] = field(default_factory=dict)
    margin_percent: float = DEFAULT_SAFETY_MARGIN_PERCENT
    warning_percent: float = DEFAULT_WARNING_PERCENT
    horizon_hours: float = 168.0
    min_free_prefix_blocks: int = 1
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    shortfall: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "shortfall": self.shortfall}


@dataclass(frozen=True)
class Step:
    """One thing to do: ``action`` (the contract's names), its fields, why, the AWS source, and the
    commands."""

    action: str
    fields: Mapping[str, Any]
    why: str
    source: str
    commands: cmd.Commands

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            **self.fields,
            "why": self.why,
            "source": self.source,
            "commands": self.commands.to_dict(),
        }


@dataclass
class Plan:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    problems: list[Problem]
    shortfall: int
    new_room: int
    steps: list[Step] = field(default_factory=list)
    # What the plan could not do, and why (the VPC could not be read, no secondary CIDR is free…).
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subnet_id": self.subnet_id,
            "vpc_id": self.vpc_id,
            "availability_zone": self.availability_zone,
            "problems": [p.code for p in self.problems],
            "problem_details": [p.to_dict() for p in self.problems],
            "shortfall": self.shortfall,
            "new_room": self.new_room,
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Proposed:
    cidr: str
    availability_zone: str
    for_subnet: str

    def to_dict(self) -> dict[str, str]:
        return {"cidr": self.cidr, "availability_zone": self.availability_zone, "for_subnet": self.for_subnet}


@dataclass
class VpcMap:
    """What the HTML report's address-space map draws: the VPC's CIDRs, its subnets with their
    status (``None``: not monitored), the free blocks before the plan, the proposals."""

    vpc_id: str
    cidrs: list[str]
    free_blocks: list[str]
    subnets: list[dict[str, Any]]
    proposed: list[Proposed] = field(default_factory=list)
    proposed_cidrs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vpc_id": self.vpc_id,
            "cidrs": list(self.cidrs),
            "free_blocks": list(self.free_blocks),
            "subnets": list(self.subnets),
            "proposed": [p.to_dict() for p in self.proposed],
            "proposed_cidrs": list(self.proposed_cidrs),
        }


@dataclass
class FixReport:
    vpcs: list[VpcMap]
    plans: list[Plan]
    margin_percent: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "margin_percent": self.margin_percent,
            "vpcs": [v.to_dict() for v in self.vpcs],
            "plans": [p.to_dict() for p in self.plans],
        }


# --- what is short, and by how much -----------------------------------------------------------


def problems_of(report: SubnetReport, inputs: FixInputs) -> list[Problem]:
    """The problems ``fix`` acts on, each with the shortfall it alone implies (module docstring)."""
    found: list[Problem] = []
    findings = report.capacity.findings if report.capacity else ()
    by_code = {f.code: f for f in findings}
    headroom = report.scale_headroom
    if headroom is not None and headroom < 0:
        message = by_code[SHORT_AT_MAX].message if SHORT_AT_MAX in by_code else f"short by {-headroom} at max"
        found.append(Problem(SHORT_AT_MAX, message, -headroom))
    hours = report.capacity.hours_to_exhaustion if report.capacity else None
    if FILLS_WITHIN_HORIZON in by_code:
        growth = 1
        if hours:
            growth = max(1, math.ceil(report.available_ips * (inputs.horizon_hours / hours - 1)))
        found.append(Problem(FILLS_WITHIN_HORIZON, by_code[FILLS_WITHIN_HORIZON].message, growth))
    if {reason.code for reason in report.status_reasons} & CRITICAL_BY_MEASURE:
        target = math.ceil(report.used_ips * 100 / inputs.warning_percent) - report.usable_ips
        found.append(
            Problem(
                CRITICAL_UTILIZATION,
                f"subnet {report.subnet_id} is CRITICAL: {report.utilization_percent:g} % used "
                f"({report.available_ips} free of {report.usable_ips})",
                max(target, 1),
            )
        )
    for finding in findings:
        if finding.code.startswith(EKS_CONTROL_PLANE_PREFIX):
            found.append(
                Problem(finding.code, finding.message, EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS - report.available_ips)
            )
        elif finding.code in (NO_FREE_PREFIX, FEW_FREE_PREFIXES):
            found.append(Problem(finding.code, finding.message, 0))
    return found


# --- the planner ------------------------------------------------------------------------------


@dataclass
class _Work:
    report: SubnetReport
    plan: Plan
    blocks: list[str] = field(default_factory=list)
    in_secondary: str | None = None
    handles: list[str] = field(default_factory=list)


def plan_fixes(inputs: FixInputs) -> FixReport:
    """A plan for every short subnet of ``inputs.reports``, and each VPC's address-space map."""
    spaces = _spaces(inputs)
    works = []
    for report in inputs.reports:
        problems = problems_of(report, inputs)
        if not problems:
            continue
        shortfall = max(p.shortfall for p in problems)
        plan = Plan(
            subnet_id=report.subnet_id,
            vpc_id=report.vpc_id,
            availability_zone=report.availability_zone,
            problems=problems,
            shortfall=shortfall,
            new_room=with_margin(shortfall, inputs.margin_percent) if shortfall > 0 else 0,
        )
        works.append(_Work(report, plan))
    # Largest need first: it gets the free space that fits it best, and no later plan takes it.
    works.sort(key=lambda w: (-w.plan.new_room, w.report.vpc_id, w.report.subnet_id))

    maps = {vpc_id: _vpc_map(vpc_id, space, inputs) for vpc_id, space in spaces.items()}
    wanting: dict[str, list[_Work]] = {}
    for work in works:
        space = spaces.get(work.report.vpc_id)
        if work.plan.new_room <= 0:
            continue
        if space is None:
            work.plan.notes.append(
                f"the CIDR blocks of {work.report.vpc_id} could not be read: no new subnet is proposed"
            )
            continue
        blocks = space.propose(work.plan.new_room, near=work.report.cidr)
        if blocks is None:
            wanting.setdefault(work.report.vpc_id, []).append(work)
        else:
            work.blocks = [str(b) for b in blocks]
    for vpc_id, waiting in wanting.items():
        _secondary(vpc_id, waiting, spaces[vpc_id], maps[vpc_id], inputs)

    # In print order, new subnets numbered across all plans: the CLI lines are one shell session.
    works.sort(key=lambda w: (w.report.vpc_id, w.report.subnet_id))
    count = 0
    for work in works:
        count = _steps(work, inputs, maps.get(work.report.vpc_id), count)
    _workloads(works, inputs)
    return FixReport(
        vpcs=[maps[v] for v in sorted(maps)], plans=[w.plan for w in works], margin_percent=inputs.margin_percent
    )


def _spaces(inputs: FixInputs) -> dict[str, VpcSpace]:
    spaces: dict[str, VpcSpace] = {}
    vpc_ids = {r.vpc_id for r in inputs.reports}
    for vpc_id in sorted(vpc_ids):
        cidrs = inputs.vpc_cidrs.get(vpc_id)
        if not cidrs:
            continue
        taken = {s.cidr for s in inputs.vpc_subnets.values() if s.vpc_id == vpc_id}
        taken |= {r.cidr for r in inputs.reports if r.vpc_id == vpc_id}
        spaces[vpc_id] = VpcSpace(vpc_id, list(cidrs), sorted(network(c) for c in taken))
    return spaces


def _vpc_map(vpc_id: str, space: VpcSpace, inputs: FixInputs) -> VpcMap:
    status = {r.subnet_id: r for r in inputs.reports}
    subnets = {s.subnet_id: (s.cidr, s.availability_zone) for s in inputs.vpc_subnets.values() if s.vpc_id == vpc_id}
    subnets.update({r.subnet_id: (r.cidr, r.availability_zone) for r in inputs.reports if r.vpc_id == vpc_id})
    rows = [
        {
            "subnet_id": subnet_id,
            "cidr": cidr,
            "availability_zone": zone,
            "name": inputs.names.get(subnet_id),
            "status": str(status[subnet_id].status) if subnet_id in status else None,
        }
        for subnet_id, (cidr, zone) in sorted(subnets.items(), key=lambda item: network(item[1][0]))
    ]
    return VpcMap(vpc_id, list(space.cidrs), [str(b) for b in space.free()], rows)


def _secondary(vpc_id: str, waiting: list[_Work], space: VpcSpace, vpc_map: VpcMap, inputs: FixInputs) -> None:
    """One secondary CIDR for the plans the VPC has no room for: large enough for each plan's
    smallest subnet (power-of-two blocks, largest first, pack exactly), /16 at most."""
    sizes = []
    for work in waiting:
        prefix_length = smallest_prefix_for(work.plan.new_room)
        sizes.append(2 ** (32 - (prefix_length or SUBNET_PREFIX_MIN)))
    length = max(SUBNET_PREFIX_MIN, min(SUBNET_PREFIX_MAX, 32 - math.ceil(math.log2(sum(sizes)))))
    others = [cidr for vpc, cidrs in inputs.vpc_cidrs.items() if vpc != vpc_id for cidr in cidrs]
    chosen = choose_secondary_cidr(space.cidrs, length, [*others, *inputs.avoid.values()])
    if chosen is None:
        for work in waiting:
            work.plan.notes.append(
                f"{vpc_id} has no free block for {work.plan.new_room} addresses, and no /{length} secondary CIDR "
                "is free of the region's VPCs, peered networks and routes in 100.64.0.0/10 or the RFC 1918 range "
                f"its primary CIDR permits ({VPC_CIDR_BLOCKS_URL})"
            )
        return
    quota_note = (
        f"; {vpc_id} already has {len(space.cidrs)} CIDR blocks: ask for a higher 'IPv4 CIDR blocks per VPC' "
        f"quota first ({VPC_LIMITS_URL})"
        if cidr_quota_reached(space.cidrs)
        else ""
    )
    space.add_cidr(str(chosen))
    vpc_map.proposed_cidrs.append(str(chosen))
    first = True
    for work in waiting:
        blocks = space.propose(work.plan.new_room)
        if blocks is None:
            work.plan.notes.append(f"even with {chosen} the VPC has no block for {work.plan.new_room} addresses")
            continue
        work.blocks = [str(b) for b in blocks]
        work.in_secondary = str(chosen)
        if first:
            work.plan.steps.append(
                Step(
                    "associate-vpc-cidr",
                    {"vpc_id": vpc_id, "cidr": str(chosen), "for_subnets": [w.report.subnet_id for w in waiting]},
                    f"{vpc_id} has no free block large enough: a secondary CIDR from 100.64.0.0/10 first, else the "
                    "RFC 1918 range its primary CIDR permits, overlapping none of the region's VPCs, peered "
                    "networks and readable transit gateway routes" + quota_note,
                    VPC_CIDR_BLOCKS_URL,
                    cmd.associate_vpc_cidr(vpc_id, str(chosen)),
                )
            )
            first = False


def _steps(work: _Work, inputs: FixInputs, vpc_map: VpcMap | None, count: int) -> int:
    """The plan's own steps; ``count`` new subnets were numbered before it. Returns the new count."""
    plan, report = work.plan, work.report
    state = inputs.vpc_subnets.get(report.subnet_id)
    tags = dict(state.tags) if state is not None else {}
    base_name = tags.get(cmd.NAME_TAG) or report.subnet_id
    handles = work.handles
    for position, cidr in enumerate(work.blocks, start=2):
        count += 1
        index = count
        new_tags = {**tags, cmd.NAME_TAG: f"{base_name}-{position}"}
        fields: dict[str, Any] = {
            "vpc_id": report.vpc_id,
            "availability_zone": report.availability_zone,
            "cidr": cidr,
            "usable_ips": usable(network(cidr).prefixlen),
            "for_workloads": [w.to_dict() for w in report.workloads],
            "handle": cmd.handle(index),
            "margin_percent": inputs.margin_percent,
        }
        if work.in_secondary:
            fields["in_secondary_cidr"] = work.in_secondary
        plan.steps.append(
            Step(
                "create-subnet",
                fields,
                f"{plan.shortfall} addresses short, {plan.new_room} with the {inputs.margin_percent:g} % margin: "
                f"a /{network(cidr).prefixlen} holds {usable(network(cidr).prefixlen)} (AWS reserves 5 addresses "
                f"of every subnet), in {report.availability_zone} like {report.subnet_id}",
                SUBNET_SIZING_URL,
                cmd.create_subnet(
                    index,
                    vpc_id=report.vpc_id,
                    zone=report.availability_zone,
                    cidr=cidr,
                    tags=new_tags,
                    like_subnet=report.subnet_id,
                ),
            )
        )
        handles.append(cmd.handle(index))
        if vpc_map is not None:
            vpc_map.proposed.append(Proposed(cidr, report.availability_zone, report.subnet_id))
    if handles and not report.workloads:
        plan.notes.append(
            f"no ECS or EKS workload the scan found uses {report.subnet_id}: point what runs there at the new subnet"
        )
    if work.in_secondary and handles:
        _custom_networking(work, handles)
    _reservation(work, inputs)
    _leaked(work, inputs)
    return count


def _custom_networking(work: _Work, handles: list[str]) -> None:
    """Pods of an EKS node group moving to a secondary CIDR need VPC CNI custom networking, unless
    this already is a pod (ENIConfig) subnet."""
    report = work.report
    if Role.EKS_POD in report.roles:
        return
    clusters = sorted({w.cluster for w in report.workloads if w.kind == KIND_EKS_NODEGROUP})
    for cluster in clusters:
        work.plan.steps.append(
            Step(
                "configure-custom-networking",
                {"cluster": cluster, "availability_zone": report.availability_zone, "pod_subnets": handles},
                "the new subnet is in the secondary CIDR: with VPC CNI custom networking the nodes stay in their "
                "subnets and pods take addresses from the ENIConfig subnet of their zone",
                CUSTOM_NETWORKING_URL,
                cmd.custom_networking(cluster, [(report.availability_zone, f"${handles[0]}")]),
            )
        )


def _reservation(work: _Work, inputs: FixInputs) -> None:
    report, plan = work.report, work.plan
    if not any(p.code in (NO_FREE_PREFIX, FEW_FREE_PREFIXES) for p in plan.problems):
        return
    usage = inputs.prefix_usage.get(report.subnet_id)
    if usage is None:
        plan.notes.append(
            f"the addresses in use in {report.subnet_id} could not be read: no range to reserve for prefixes"
        )
        return
    needed = report.capacity.ips_needed_at_max if report.capacity else None
    # As many /28s as the need at max takes (at least minFreePrefixBlocks), or any smaller aligned
    # range: the one with the fewest addresses in use per /28 wins (the larger on a tie), so the
    # reservation frees /28s soonest as addresses are released.
    wanted = max(inputs.min_free_prefix_blocks, math.ceil((needed or 0) / PREFIX_BLOCK_SIZE), 1)
    candidates = []
    while wanted >= 1:
        found = prefix_reservation(
            report.subnet_id,
            report.cidr,
            usage.used_ips,
            usage.used_prefixes,
            blocks_wanted=wanted,
            reservations=usage.reservations,
        )
        if found is not None:
            candidates.append(found)
        wanted //= 2
    chosen = min(candidates, key=lambda r: (r.addresses_in_use / r.prefix_blocks, -r.prefix_blocks), default=None)
    if chosen is None:
        plan.notes.append(f"{report.subnet_id} has no aligned range free of reservations to reserve for prefixes")
        return
    plan.steps.append(
        Step(
            "create-subnet-cidr-reservation",
            {
                "subnet_id": report.subnet_id,
                "cidr": chosen.cidr,
                "reservation_type": "prefix",
                "addresses_in_use": chosen.addresses_in_use,
                "prefix_blocks": chosen.prefix_blocks,
                "free_prefix_blocks_now": chosen.free_prefix_blocks_now,
            },
            f"{chosen.cidr} is the aligned range with the fewest addresses in use per /28 "
            f"({chosen.addresses_in_use} in {chosen.prefix_blocks}): "
            f"{chosen.free_prefix_blocks_now} of its {chosen.prefix_blocks} /28s can be delegated at once, and "
            "each address released inside it stays free for /28 prefixes",
            SUBNET_CIDR_RESERVATION_URL,
            cmd.prefix_reservation(report.subnet_id, chosen.cidr),
        )
    )


def _leaked(work: _Work, inputs: FixInputs) -> None:
    leaked = list(inputs.leaked_enis.get(work.report.subnet_id, ()))
    if not leaked:
        return
    ids = [eni for eni, _ in leaked]
    work.plan.steps.append(
        Step(
            "delete-leaked-enis",
            {
                "subnet_id": work.report.subnet_id,
                "network_interface_ids": ids,
                "addresses": sum(count for _, count in leaked),
            },
            "detached network interfaces left behind hold addresses until deleted "
            f"(subnet-monitor reclaim-enis --subnet-id {work.report.subnet_id} checks each first)",
            DELETE_ENI_URL,
            cmd.delete_enis(ids),
        )
    )


def _workloads(works: list[_Work], inputs: FixInputs) -> None:
    """One ``update-workload`` per workload, in the last plan (in print order) that gives it new
    subnets, listing all of them: a node group gets one new node group, not one per short subnet."""
    touching: dict[Workload, list[_Work]] = {}
    for work in works:
        if not work.handles:
            continue
        for workload in sorted(work.report.workloads):
            if workload.kind == KIND_EKS_CLUSTER and Role.EKS_CONTROL_PLANE not in work.report.roles:
                continue
            if workload.kind == KIND_EKS_NODEGROUP and Role.EKS_POD in work.report.roles:
                _eni_config(work, workload)
                continue
            touching.setdefault(workload, []).append(work)
    for workload, group in touching.items():
        last, new = group[-1], [h for w in group for h in w.handles]
        relieved = {w.report.subnet_id for w in group}
        current = [r.subnet_id for r in inputs.reports if workload in r.workloads]
        if workload.kind == KIND_EKS_CLUSTER:
            # The cluster moves off the short subnets onto the new ones, zone for zone.
            current = [
                r.subnet_id
                for r in inputs.reports
                if workload in r.workloads and Role.EKS_CONTROL_PLANE in r.roles and r.subnet_id not in relieved
            ]
        subnets = [*current, *new]
        commands, how, source = cmd.update_workload(workload, subnets)
        fields: dict[str, Any] = {"workload": workload.to_dict(), "subnets": subnets}
        if workload.kind in (KIND_EKS_NODEGROUP, KIND_EKS_FARGATE_PROFILE):
            fields["replaces"] = workload.name
        last.plan.steps.append(Step("update-workload", fields, how, source, commands))
        for work in group[:-1]:
            work.plan.notes.append(
                f"{workload.kind} {workload.cluster}/{workload.name} takes this new subnet in the plan of "
                f"{last.report.subnet_id} (one update for all its new subnets)"
            )


def _eni_config(work: _Work, workload: Workload) -> None:
    report = work.report
    work.plan.steps.append(
        Step(
            "update-workload",
            {"workload": workload.to_dict(), "subnets": list(work.handles)},
            f"{report.subnet_id} is a pod subnet (VPC CNI custom networking): point the ENIConfig of "
            f"{report.availability_zone} at the new subnet",
            CUSTOM_NETWORKING_URL,
            cmd.eni_config(workload.cluster, report.availability_zone, work.handles[0]),
        )
    )
