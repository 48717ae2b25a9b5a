"""The EKS-health bridge: address issues EKS reports on clusters and node groups become findings on
the scan's subnets (every scan: the finding is the state) and events the failure path reads like any
AWS event (once per episode: the metric and the notification count what happened).

An episode of an issue (its cluster, node group, code and set of subnets) starts with the first scan
that sees it and lasts while every following scan sees it; the first scan that does not ends it, and
a later sighting starts a new one. docs/failures.md, "Episodes", says why and what a failure does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.failures import EPISODE_KEY_PREFIX, FailureEventEmitter, HealthEpisodes
from subnet_monitor.core.config import SUBNET_ID_PATTERN
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import (
    CLUSTER_INSUFFICIENT_FREE_ADDRESSES,
    NODEGROUP_INSUFFICIENT_FREE_ADDRESSES,
    HealthIssue,
    ScanError,
    SubnetCapacity,
)
from subnet_monitor.failures.details import Signal
from subnet_monitor.failures.notify import fix_hint
from subnet_monitor.failures.patterns import (
    EKS_HEALTH_DETAIL_TYPE,
    EVENT_SOURCE,
)
from subnet_monitor.failures.records import Failure

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
        owner = _owner(issue)
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


def episode_key(issue: HealthIssue) -> str:
    """The issue's identity in the episode table: cluster, node group, code and the set of subnets it
    names (in any order). Hashed, so a long subnet list stays within DynamoDB's 2,048-byte partition key.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
    """
    identity = json.dumps([issue.cluster, issue.nodegroup, issue.code, sorted(set(issue.resource_ids))])
    return EPISODE_KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


@dataclass
class HandedOver:
    """What one scan did with its EKS health issues."""

    started: list[HealthIssue] = field(default_factory=list)  # a new episode, put on the bus
    continuing: list[HealthIssue] = field(default_factory=list)  # the previous scan saw it too: not put again
    errors: list[ScanError] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """``eks_health_episodes`` for the Lambda result, when the scan saw any issue."""
        if not self.started and not self.continuing:
            return {}
        return {"eks_health_episodes": {"started": len(self.started), "continuing": len(self.continuing)}}


def hand_over(
    issues: Iterable[HealthIssue], emitter: FailureEventEmitter, episodes: HealthEpisodes | None, now: float
) -> HandedOver:
    """Put one ``EKS Health Issue`` event for each issue whose episode starts in this scan.

    Without ``episodes`` (no table), every issue is put, every scan. When DynamoDB cannot be asked,
    the issue is put (a repeated count rather than a missed one) and the error returned. An issue whose
    event could not be put is not recorded as seen, so the next scan that sees it puts it again. The
    record is written after the events are put: a scan stopped between the two counts again, never less.
    """
    unique: dict[str, HealthIssue] = {}
    for issue in issues:
        unique.setdefault(episode_key(issue), issue)
    handed = HandedOver()
    # Every scan is counted, with issues or without: a scan that sees none ends every episode.
    scan = _begin_scan(episodes, now, handed.errors) if episodes is not None else None
    if episodes is None or scan is None:
        episodes, starting = None, dict(unique)
    else:
        starting = _starting(unique, episodes, scan, now, handed.errors)
    put = emitter.emit(health_events(starting.values()))
    handed.errors.extend(put.errors)
    not_put = {key for position, key in enumerate(starting) if position in put.not_put}
    handed.started = [issue for key, issue in starting.items() if key not in not_put]
    handed.continuing = [issue for key, issue in unique.items() if key not in starting]
    for key, issue in unique.items():
        if episodes is None or scan is None or key in not_put:
            continue
        try:
            episodes.seen(key, scan, now, _description(issue))
        except AWS_ERRORS as error:
            handed.errors.append(ScanError(source="dynamodb", target=f"record {_owner(issue)}", message=str(error)))
    return handed


def _begin_scan(episodes: HealthEpisodes, now: float, errors: list[ScanError]) -> int | None:
    """This scan's number; ``None`` when DynamoDB could not count the scan (then every issue is put and
    none recorded)."""
    try:
        return episodes.begin_scan(now)
    except AWS_ERRORS as error:
        errors.append(ScanError(source="dynamodb", target="count the scan (EKS health episodes)", message=str(error)))
        return None


def _starting(
    issues: Mapping[str, HealthIssue], episodes: HealthEpisodes, scan: int, now: float, errors: list[ScanError]
) -> dict[str, HealthIssue]:
    """The issues the previous scan did not see (or DynamoDB could not say)."""
    starting = {}
    for key, issue in issues.items():
        try:
            last = episodes.last_seen(key, now)
        except AWS_ERRORS as error:
            errors.append(ScanError(source="dynamodb", target=f"read {_owner(issue)}", message=str(error)))
            last = None
        # Not seen by the previous scan (or DynamoDB could not say): a new episode.
        if last is None or last < scan - 1:
            starting[key] = issue
    return starting


def _owner(issue: HealthIssue) -> str:
    return f"node group {issue.cluster}/{issue.nodegroup}" if issue.nodegroup else f"cluster {issue.cluster}"


def _description(issue: HealthIssue) -> str:
    return f"{_owner(issue)}: {issue.code} in {', '.join(sorted(set(issue.resource_ids)))}"
