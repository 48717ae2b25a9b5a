"""What a scan could not see of each subnet, and the figures that leaves unknown. Pure.

A read that fails is an error of the scan (``ScanErrors``) and a *gap* of every subnet whose figures
depend on it (docs/reference/json-report.md, "Gaps"). A figure a gap affects is absent from the report,
never computed from what was left: no ``consumers: {}`` after a failed ENI read, no headroom from some
of a subnet's workloads. What the ENIs read do not explain of ``used_ips`` (other accounts' ENIs in a
shared subnet, ENIs created between the two reads) is ``unattributed``, so ``consumers`` adds up to
``used_ips``. A subnet with gaps gets one ``visibility.partial`` finding naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from subnet_monitor.core.consumers import UNATTRIBUTED
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import Discovery, Gap, SubnetCapacity, SubnetState
from subnet_monitor.core.subnet import usable_ips

# Report fields a gap can name in ``affects``: the capacity figures it leaves absent...
CONSUMERS = "consumers"
FREE_PREFIX_BLOCKS = "free_prefix_blocks"
LARGEST_FREE_BLOCK = "largest_free_block"
IPS_NEEDED_AT_MAX = "ips_needed_at_max"
SCALE_HEADROOM = "scale_headroom"
HOURS_TO_EXHAUSTION = "hours_to_exhaustion"
# ...and the lists it leaves incomplete (listed as far as they were seen).
ROLES = "roles"
WORKLOADS = "workloads"

HEADROOM = (IPS_NEEDED_AT_MAX, SCALE_HEADROOM)
# What the ENIs feed: who holds the addresses, the /28 search, and (through what a node group or
# Fargate profile holds now, and prefix mode seen on the ENIs) the EKS needs.
ENI_FIGURES = (CONSUMERS, FREE_PREFIX_BLOCKS, LARGEST_FREE_BLOCK)

VISIBILITY_PARTIAL = "visibility.partial"
ENIS_EXCEED_USED = "DescribeSubnets/DescribeNetworkInterfaces"


def gaps_by_subnet(discovery: Discovery, subnet_ids: Mapping[str, object]) -> dict[str, tuple[Gap, ...]]:
    """Each subnet's gaps, one per failed read and reason (their ``affects`` merged), in the order
    the scan met them; subnets without gaps are left out."""
    found: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {}
    for scoped in discovery.gaps:
        for subnet_id in subnet_ids:
            if scoped.applies_to(subnet_id, discovery.uses.get(subnet_id)):
                merged = found.setdefault(subnet_id, {})
                key = (scoped.gap.read, scoped.gap.reason)
                merged[key] = tuple(dict.fromkeys((*merged.get(key, ()), *scoped.gap.affects)))
    return {
        subnet_id: tuple(Gap(read, reason, affects) for (read, reason), affects in merged.items())
        for subnet_id, merged in found.items()
    }


def with_gaps(
    capacities: Mapping[str, SubnetCapacity], discovery: Discovery, states: Mapping[str, SubnetState]
) -> dict[str, SubnetCapacity]:
    """The capacities with their gaps: figures the gaps affect removed, ``consumers`` reconciled with
    ``used_ips``, and a ``visibility.partial`` finding on every subnet with a gap."""
    gaps = gaps_by_subnet(discovery, states)
    result = {}
    for subnet_id, capacity in capacities.items():
        state = states[subnet_id]
        usable = usable_ips(state.cidr)
        used = usable - min(state.available_ips, usable)
        own = gaps.get(subnet_id, ())
        affected = {field for gap in own for field in gap.affects}
        consumers = None if CONSUMERS in affected else capacity.consumers
        if consumers is not None:
            consumers, surplus = reconcile(consumers, used)
            if surplus:
                own = (*own, _surplus_gap(surplus, used))
        if not own:
            result[subnet_id] = replace(capacity, consumers=consumers)
            continue
        result[subnet_id] = replace(
            capacity,
            consumers=consumers,
            ips_needed_at_max=None if IPS_NEEDED_AT_MAX in affected else capacity.ips_needed_at_max,
            free_prefix_blocks=None if FREE_PREFIX_BLOCKS in affected else capacity.free_prefix_blocks,
            largest_free_block=None if LARGEST_FREE_BLOCK in affected else capacity.largest_free_block,
            hours_to_exhaustion=None if HOURS_TO_EXHAUSTION in affected else capacity.hours_to_exhaustion,
            findings=(*capacity.findings, partial_finding(subnet_id, own)),
            gaps=own,
        )
    return result


def reconcile(consumers: Mapping[str, int], used: int) -> tuple[dict[str, int], int]:
    """``consumers`` made to add up to ``used``: ``(consumers, surplus)``.

    What the ENIs leave unexplained becomes ``unattributed``; when they explain more than ``used``
    (ENIs created between the subnet read and the ENI read), nothing is invented or taken away: the
    surplus is returned for a gap to say so.

    >>> reconcile({"ecs_task": 3}, 5)
    ({'ecs_task': 3, 'unattributed': 2}, 0)
    >>> reconcile({"ecs_task": 3}, 2)
    ({'ecs_task': 3}, 1)
    """
    explained = sum(consumers.values())
    reconciled = dict(consumers)
    if used > explained:
        reconciled[UNATTRIBUTED] = used - explained
    return reconciled, max(explained - used, 0)


def _surplus_gap(surplus: int, used: int) -> Gap:
    # Nothing is absent: consumers stays as the ENIs hold it, and this gap says why it adds up to more.
    return Gap(
        ENIS_EXCEED_USED,
        f"the network interfaces hold {surplus} addresses more than the {used} EC2 counts in use (they changed "
        "between the two reads); consumers lists what the interfaces hold",
        (),
    )


def partial_finding(subnet_id: str, gaps: tuple[Gap, ...]) -> Finding:
    """The one finding that says a subnet was not fully seen, naming each gap."""
    unknown = sorted({field for gap in gaps for field in gap.affects})
    parts = "; ".join(f"{gap.read}: {gap.reason}" for gap in gaps)
    return Finding(
        code=VISIBILITY_PARTIAL,
        severity=Severity.WARNING,
        subject=subnet_id,
        message=(
            f"subnet {subnet_id} was not fully seen ({parts})"
            + (f"; not known: {', '.join(unknown)}." if unknown else ".")
        ),
        # A gap that is no failed read (ENIs holding more than used) has nothing to fix.
        fix=(
            "give the scanning role the permissions the deployed role has (docs: Deploy) or wait out the "
            "throttling; the next scan fills the gaps"
        )
        if any(gap.read != ENIS_EXCEED_USED for gap in gaps)
        else None,
    )
