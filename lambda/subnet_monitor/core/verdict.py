"""One verdict per subnet: the worst of every signal the scan has, with the reasons. Pure.

A subnet's ``status`` (OK, WARNING, CRITICAL) is the worst of the rules below, and ``status_reasons``
lists each rule that holds, worst first. Each rule and the status it gives is argued from what the
user of the subnet would see, in docs/verdict.md; the JSON contract is docs/reference/json-report.md.

- utilization at or above ``criticalPercent``: CRITICAL; at or above ``warningPercent``: WARNING;
- fewer free addresses than ``minFreeIps``: CRITICAL;
- no free aligned /28 in a subnet that hands out prefixes: CRITICAL (a node cannot add a prefix now);
- fewer free /28 blocks than ``minFreePrefixBlocks`` (but some): WARNING;
- an EKS health issue ``InsufficientFreeAddresses`` on the subnet: CRITICAL (EKS says it is failing);
- an EKS cluster subnet below the 5 free addresses a version update can take: CRITICAL; below the 6
  EKS requires: WARNING (below the 16 it recommends: a finding only);
- workloads that cannot reach their maximum (``scale_headroom`` below 0): WARNING;
- exhaustion forecast within ``exhaustionHorizonHours``: WARNING.

What the scan could not see (``partial``, the gaps) does not raise the status: a figure a gap leaves
unknown is absent and gives no reason, and the report marks the subnet partial (docs/verdict.md says why).
"""

from __future__ import annotations

from collections.abc import Iterator

from subnet_monitor.core.capacity import (
    EKS_CLUSTER_SUBNET_MIN_FREE_IPS,
    EKS_CLUSTER_UPDATE_FREE_IPS,
    EKS_CONTROL_PLANE_BELOW_REQUIRED,
    EKS_CONTROL_PLANE_BELOW_UPDATE,
)
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.fragmentation import FEW_FREE_PREFIXES, NO_FREE_PREFIX
from subnet_monitor.core.headroom import FILLS_WITHIN_HORIZON, SHORT_AT_MAX
from subnet_monitor.core.models import (
    CLUSTER_INSUFFICIENT_FREE_ADDRESSES,
    NODEGROUP_INSUFFICIENT_FREE_ADDRESSES,
    Status,
    StatusReason,
    SubnetCapacity,
    SubnetReport,
    SubnetState,
    SubnetUse,
)
from subnet_monitor.core.subnet import ROLE_ORDER, usable_ips, utilization_percent

# Reason codes of the rules that have no finding of their own (the others reuse the finding's code).
UTILIZATION_CRITICAL = "utilization.critical"
UTILIZATION_WARNING = "utilization.warning"
BELOW_MIN_FREE = "free.below-minimum"

# Findings that are a verdict as they stand: EKS itself reports the subnet short (its words are the reason).
EKS_HEALTH = (NODEGROUP_INSUFFICIENT_FREE_ADDRESSES, CLUSTER_INSUFFICIENT_FREE_ADDRESSES)
# An EKS cluster subnet's own minimums, and what falling below each means. Below the 16 EKS recommends
# raises nothing: a /28 cluster subnet (11 usable), a common layout, could never clear it.
CONTROL_PLANE = {
    EKS_CONTROL_PLANE_BELOW_UPDATE: (
        Status.CRITICAL,
        f"below the {EKS_CLUSTER_UPDATE_FREE_IPS} an EKS version update can take: the next update can fail",
    ),
    EKS_CONTROL_PLANE_BELOW_REQUIRED: (
        Status.WARNING,
        f"below the {EKS_CLUSTER_SUBNET_MIN_FREE_IPS} EKS requires in a cluster subnet",
    ),
}
# The other findings (a detached ENI, an instance type or launch template the model could not read, an
# unmodelled maximum, a partial view) say what to look at or what is not known, not that addresses run short.

SEVERITY_ORDER = (Status.CRITICAL, Status.WARNING, Status.OK)


def judge(
    utilization: float, available: int, capacity: SubnetCapacity | None, config: ScanConfig
) -> tuple[Status, tuple[StatusReason, ...]]:
    """The subnet's status, the worst of its reasons, and the reasons, worst first (stable within a status).

    ``capacity`` carries the figures the gaps left (a figure a gap made unknown is ``None`` and gives no reason).

    >>> judge(95.0, 10, None, ScanConfig())[0]
    <Status.CRITICAL: 'CRITICAL'>
    >>> judge(10.0, 200, None, ScanConfig())
    (<Status.OK: 'OK'>, ())
    """
    reasons = sorted(_reasons(utilization, available, capacity, config), key=lambda r: SEVERITY_ORDER.index(r.status))
    status = reasons[0].status if reasons else Status.OK
    return status, tuple(reasons)


def _reasons(
    utilization: float, available: int, capacity: SubnetCapacity | None, config: ScanConfig
) -> Iterator[StatusReason]:
    if utilization >= config.critical_percent:
        yield StatusReason(
            UTILIZATION_CRITICAL,
            Status.CRITICAL,
            f"{utilization:g}% used, at or above criticalPercent ({config.critical_percent:g}%)",
        )
    elif utilization >= config.warning_percent:
        yield StatusReason(
            UTILIZATION_WARNING,
            Status.WARNING,
            f"{utilization:g}% used, at or above warningPercent ({config.warning_percent:g}%)",
        )
    if config.min_free_ips is not None and available < config.min_free_ips:
        yield StatusReason(
            BELOW_MIN_FREE, Status.CRITICAL, f"{available} addresses free, below minFreeIps ({config.min_free_ips})"
        )
    if capacity is None:
        return
    blocks = capacity.free_prefix_blocks
    if blocks == 0:
        yield StatusReason(
            NO_FREE_PREFIX,
            Status.CRITICAL,
            "no free aligned /28: a prefix-delegation node cannot add a prefix (InsufficientCidrBlocks)",
        )
    elif blocks is not None and blocks < config.min_free_prefix_blocks:
        yield StatusReason(
            FEW_FREE_PREFIXES,
            Status.WARNING,
            f"{blocks} free /28 blocks, below minFreePrefixBlocks ({config.min_free_prefix_blocks})",
        )
    for finding in capacity.findings:
        if finding.code in EKS_HEALTH:
            yield StatusReason(finding.code, Status.CRITICAL, finding.message)
        elif finding.code in CONTROL_PLANE:
            status, meaning = CONTROL_PLANE[finding.code]
            yield StatusReason(finding.code, status, f"{available} addresses free, {meaning}")
    if capacity.ips_needed_at_max is not None and capacity.ips_needed_at_max > available:
        yield StatusReason(
            SHORT_AT_MAX,
            Status.WARNING,
            f"short by {capacity.ips_needed_at_max - available} addresses at maximum "
            f"({capacity.ips_needed_at_max} more needed, {available} free)",
        )
    hours = capacity.hours_to_exhaustion
    if hours is not None and hours < config.exhaustion_horizon_hours:
        yield StatusReason(
            FILLS_WITHIN_HORIZON,
            Status.WARNING,
            f"full in about {hours:g} h at the current rate, within exhaustionHorizonHours "
            f"({config.exhaustion_horizon_hours:g})",
        )


def build_report(
    state: SubnetState, use: SubnetUse, config: ScanConfig, capacity: SubnetCapacity | None = None
) -> SubnetReport:
    """Measure one subnet and judge it on every signal the scan has (:func:`judge`)."""
    usable = usable_ips(state.cidr)
    # EC2 can briefly report more available than usable while an ENI is deleted; clamp.
    available = min(state.available_ips, usable)
    utilization = utilization_percent(usable, available)
    status, reasons = judge(utilization, available, capacity, config)
    return SubnetReport(
        subnet_id=state.subnet_id,
        vpc_id=state.vpc_id,
        availability_zone=state.availability_zone,
        cidr=state.cidr,
        usable_ips=usable,
        available_ips=available,
        used_ips=usable - available,
        utilization_percent=utilization,
        roles=tuple(role for role in ROLE_ORDER if role in use.roles),
        workloads=tuple(sorted(use.workloads)),
        status=status,
        capacity=capacity,
        status_reasons=reasons,
        name=state.tags.get("Name"),
    )
