"""The EKS-health bridge: address issues EKS reports on clusters and node groups become findings on
the scan's subnets and events the failure path reads like any AWS event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from subnet_monitor.core.config import SUBNET_ID_PATTERN
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import (
    HealthIssue,
    SubnetCapacity,
)
from subnet_monitor.failures.details import Signal
from subnet_monitor.failures.notify import fix_hint
from subnet_monitor.failures.patterns import (
    EKS_HEALTH_DETAIL_TYPE,
    EVENT_SOURCE,
)
from subnet_monitor.failures.records import Failure

# Finding codes of an EKS health issue about addresses: node groups and clusters have their own fix.
NODEGROUP_INSUFFICIENT_FREE_ADDRESSES = "eks-health.nodegroup-insufficient-free-addresses"
CLUSTER_INSUFFICIENT_FREE_ADDRESSES = "eks-health.cluster-insufficient-free-addresses"
# What each issue code means. The node group Issue: "InsufficientFreeAddresses: One or more of the
# subnets associated with your managed node group does not have enough available IP addresses for
# new nodes"; the cluster's ClusterIssue carries the same code for its subnets.
NODEGROUP_ISSUE_URL = "https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html"
CLUSTER_ISSUE_URL = "https://docs.aws.amazon.com/eks/latest/APIReference/API_ClusterIssue.html"


def health_findings(issues: Iterable[HealthIssue]) -> dict[str, list[Finding]]:
    """One finding per subnet an issue names, for the report."""
    findings: dict[str, list[Finding]] = {}
    for issue in issues:
        failure = Failure(
            signal=Signal.EKS_NODEGROUP_HEALTH if issue.nodegroup else Signal.EKS_CLUSTER_HEALTH,
            code=issue.code,
            reason=issue.message,
            subnet_id=None,
            workload=None,
            account="",
            region="",
            time="",
            event_id="",
        )
        owner = f"node group {issue.cluster}/{issue.nodegroup}" if issue.nodegroup else f"cluster {issue.cluster}"
        code, source = (
            (NODEGROUP_INSUFFICIENT_FREE_ADDRESSES, NODEGROUP_ISSUE_URL)
            if issue.nodegroup
            else (CLUSTER_INSUFFICIENT_FREE_ADDRESSES, CLUSTER_ISSUE_URL)
        )
        for subnet_id in issue.resource_ids:
            if SUBNET_ID_PATTERN.match(subnet_id):
                findings.setdefault(subnet_id, []).append(
                    Finding(
                        code=code,
                        severity=Severity.ERROR,
                        subject=subnet_id,
                        message=f"subnet {subnet_id}: EKS reports {owner} unhealthy with {issue.code}"
                        + (f" ({issue.message})" if issue.message else "")
                        + ".",
                        fix=fix_hint(replace(failure, subnet_id=subnet_id)),
                        source=source,
                    )
                )
    return findings


def with_health_findings(
    capacities: Mapping[str, SubnetCapacity], issues: Iterable[HealthIssue], measured: Iterable[str]
) -> dict[str, SubnetCapacity]:
    """The capacities with each measured subnet's EKS health findings added."""
    merged = dict(capacities)
    measured = set(measured)
    for subnet_id, notes in health_findings(issues).items():
        if subnet_id in measured:
            current = merged.get(subnet_id) or SubnetCapacity()
            merged[subnet_id] = replace(current, findings=(*current.findings, *notes))
    return merged


def health_events(issues: Iterable[HealthIssue]) -> list[dict[str, str]]:
    """PutEvents entries (source ``subnet-monitor``, detail-type ``EKS Health Issue``), one per issue:
    the failure path reads them like any AWS event."""
    entries = []
    for issue in issues:
        detail: dict[str, Any] = {"clusterName": issue.cluster}
        if issue.nodegroup:
            detail["nodegroupName"] = issue.nodegroup
        detail.update({"code": issue.code, "message": issue.message, "resourceIds": list(issue.resource_ids)})
        entries.append({"Source": EVENT_SOURCE, "DetailType": EKS_HEALTH_DETAIL_TYPE, "Detail": json.dumps(detail)})
    return entries
