"""Leaked ENIs: which detached network interfaces are safe to delete, and why. Pure: no AWS, no I/O.

Input is one ``ec2:DescribeNetworkInterfaces`` item exactly as boto3 returns it; output is a
:class:`Candidate`: where the ENI came from, how old it is when that can be known, the addresses it
frees, and whether ``reclaim-enis --apply`` would delete it (and if not, why not). The same function
judges an ENI twice: when it is listed, and again on a fresh read just before it is deleted.

Where an ENI comes from is decided by :func:`subnet_monitor.core.consumers.classify`, the one table
of ENI shapes and their sources (descriptions, interface types, tags, requester-managed); this
module maps its categories to origins and adds the rules for deleting:

1. Only a detached ENI (``Status == "available"``, no ``Attachment``) is a candidate at all.
2. Never a requester-managed ENI: "You cannot manage these network interfaces yourself"; the AWS
   service that created it (ELB, interface endpoints, Lambda, Fargate, NAT gateways...) deletes it.
   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html
3. Only the VPC CNI's ENIs, and only in the shape the CNI's own leak cleanup deletes
   (amazon-vpc-cni-k8s, pkg/awsutils/awsutils.go, ``getLeakedENIs``): status ``available``, tag
   ``node.k8s.amazonaws.com/instance_id``, description starting ``aws-K8S-``, and a
   ``node.k8s.amazonaws.com/createdAt`` tag (RFC 3339) older than its cool-down. This is the
   documented leak: ipamd creates an ENI, then attaches it; a node that dies in between, or a
   detach whose delete failed, leaves it ``available`` with nothing to delete it if no CNI of that
   VPC runs its hourly cleanup any more. Every other origin (ECS task ENIs, the VPC resource
   controller's branch ENIs, anything unknown) is listed with its addresses but never deleted:
   its owner manages its lifecycle, and no tag says when it was created.
4. An ENI without the ``createdAt`` tag has no known age and is not deleted: the CNI itself only
   tags such an ENI and waits ("to prevent accidentally deleting ENIs that are in the process of
   being attached by CNI versions v1.5.x or earlier").
5. Older than the threshold (``--older-than``, default :data:`DEFAULT_OLDER_THAN`), which may not be
   below the CNI's own cool-down :data:`MIN_OLDER_THAN`.
6. With a cluster named, only ENIs whose ``cluster.k8s.amazonaws.com/name`` tag names it: an
   untagged ENI in a subnet two clusters share could be the other cluster's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from subnet_monitor.core import consumers, durations

# Origins: stable snake_case values of the JSON field ``origin``.
VPC_CNI = "vpc_cni"
EKS_VPC_RESOURCE_CONTROLLER = "eks_vpc_resource_controller"
ECS = "ecs"
EKS_FARGATE = "eks_fargate"
EKS_CONTROL_PLANE = "eks_control_plane"
LAMBDA = "lambda"
LOAD_BALANCER = "load_balancer"
VPC_ENDPOINT = "vpc_endpoint"
NAT_GATEWAY = "nat_gateway"
OTHER_AWS_SERVICE = "other_aws_service"
UNKNOWN = "unknown"

_ORIGIN_OF_CATEGORY = {
    consumers.EKS_NODE_POD: VPC_CNI,
    consumers.ECS_TASK: ECS,
    consumers.ECS_TRUNK: ECS,
    consumers.EKS_FARGATE: EKS_FARGATE,
    consumers.EKS_CONTROL_PLANE: EKS_CONTROL_PLANE,
    consumers.LAMBDA: LAMBDA,
    consumers.LOAD_BALANCER: LOAD_BALANCER,
    consumers.VPC_ENDPOINT: VPC_ENDPOINT,
    consumers.NAT_GATEWAY: NAT_GATEWAY,
    consumers.OTHER_AWS_SERVICE: OTHER_AWS_SERVICE,
    consumers.OTHER: UNKNOWN,
}

# The VPC CNI stamps every ENI it creates with this tag, value time.Now().Format(time.RFC3339)
# (awsutils.go: eniCreatedAtTagKey, createENITags).
VPC_CNI_CREATED_AT_TAG = "node.k8s.amazonaws.com/createdAt"
# The CNI leaves an ENI younger than this alone (awsutils.go: eniDeleteCooldownTime = 5 * time.Minute):
# it may be between CreateNetworkInterface and AttachNetworkInterface. No threshold may be shorter.
MIN_OLDER_THAN = timedelta(minutes=5)
# The CNI runs its own leak cleanup once an hour on every node (awsutils.go: wait.Forever(
# cache.cleanUpLeakedENIs, time.Hour)); the default gives it one full round to go first.
DEFAULT_OLDER_THAN = timedelta(hours=1)

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Candidate:
    """One detached ENI and the verdict on it.

    Attributes
    ----------
    age_hours
        Hours since the VPC CNI created it (its ``createdAt`` tag); ``None`` when no tag says.
    addresses
        IPv4 addresses it frees: the primary, every secondary, every delegated prefix its size.
    deletable
        ``reclaim-enis --apply`` would delete it; ``reason`` says why, or why not.
    prefixes
        The delegated IPv4 prefixes (aligned /28 blocks) it holds: each is free again for prefix
        delegation once it is deleted.
    """

    network_interface_id: str
    subnet_id: str
    origin: str
    age_hours: float | None
    addresses: int
    deletable: bool
    reason: str
    private_ips: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    cluster: str | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The ``candidates`` item of ``reclaim-enis --json``."""
        return {
            "network_interface_id": self.network_interface_id,
            "subnet_id": self.subnet_id,
            "origin": self.origin,
            "age_hours": self.age_hours,
            "addresses": self.addresses,
            "deletable": self.deletable,
            "reason": self.reason,
            "private_ips": list(self.private_ips),
            "prefixes": list(self.prefixes),
            "cluster": self.cluster,
            "description": self.description,
        }


@dataclass
class Reclaimed:
    """What ``--apply`` did: deleted (as judged on the fresh read), left alone on the re-check
    ``(id, why)``, or failed ``(id, the error)``."""

    deleted: list[Candidate] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def parse_duration(text: str, *, flag: str = "--older-than") -> timedelta:
    """``30m``, ``1h``, ``2d``, ``1h30m`` as a duration, at least :data:`MIN_OLDER_THAN`.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)

    Raises
    ------
    ConfigError
        naming ``flag``: not a duration (``3x``, ``-1h``, ``1.5h``), or shorter than the CNI's cool-down.
    """
    return durations.parse_duration(
        text,
        flag=flag,
        at_least=MIN_OLDER_THAN,
        too_short="must be at least 5m: the VPC CNI leaves ENIs younger than that alone (being attached)",
    )


def classify(eni: Mapping[str, Any], *, now: datetime, older_than: timedelta, cluster: str | None = None) -> Candidate:
    """Judge one ``DescribeNetworkInterfaces`` item.

    Parameters
    ----------
    eni
        The item as boto3 returns it (``TagSet``, ``Status``, ``Attachment``, ``RequesterManaged``...).
    now
        An aware datetime: the ages are measured to it.
    older_than
        Only ENIs at least this old are deletable.
    cluster
        When given, only ENIs tagged ``cluster.k8s.amazonaws.com/name`` = ``cluster`` are deletable.
    """
    tags = _tags(eni)
    description = eni.get("Description") or ""
    use = consumers.eni_addresses(eni)
    origin = _origin(eni, description)
    created = _created_at(tags)
    age = None if created is None else round((now - created).total_seconds() / SECONDS_PER_HOUR, 2)
    deletable, reason = _verdict(eni, origin, created, now=now, older_than=older_than, cluster=cluster)
    return Candidate(
        network_interface_id=eni.get("NetworkInterfaceId", ""),
        subnet_id=eni.get("SubnetId", ""),
        origin=origin,
        age_hours=age,
        addresses=sum(use.consumers().values()),
        deletable=deletable,
        reason=reason,
        private_ips=use.ips,
        prefixes=use.prefixes,
        cluster=tags.get(consumers.VPC_CNI_CLUSTER_TAG) or None,
        description=description,
    )


def _tags(eni: Mapping[str, Any]) -> dict[str, str]:
    return {tag.get("Key", ""): tag.get("Value", "") for tag in eni.get("TagSet") or ()}


def _origin(eni: Mapping[str, Any], description: str) -> str:
    """The consumers table's category of the ENI as if attached (a detached ENI is "detached" there)."""
    if description in (consumers.EKS_TRUNK_DESCRIPTION, consumers.EKS_BRANCH_DESCRIPTION):
        return EKS_VPC_RESOURCE_CONTROLLER
    category, _ = consumers.classify({**eni, "Status": "in-use", "Attachment": None})
    return _ORIGIN_OF_CATEGORY.get(category, UNKNOWN)


def _created_at(tags: Mapping[str, str]) -> datetime | None:
    """The CNI's creation time; ``None`` when the tag is absent or not RFC 3339 with an offset."""
    value = tags.get(VPC_CNI_CREATED_AT_TAG)
    if not value:
        return None
    try:
        created = datetime.fromisoformat(value)
    except ValueError:
        return None
    return created.astimezone(UTC) if created.tzinfo else None


def _hours(duration: timedelta) -> str:
    return f"{round(duration.total_seconds() / SECONDS_PER_HOUR, 2):g} h"


def _verdict(
    eni: Mapping[str, Any],
    origin: str,
    created: datetime | None,
    *,
    now: datetime,
    older_than: timedelta,
    cluster: str | None,
) -> tuple[bool, str]:
    """(deletable, reason): the rules of the module docstring, first refusal wins."""
    description = eni.get("Description") or ""
    tags = _tags(eni)
    status = eni.get("Status")
    if status != consumers.STATUS_AVAILABLE or eni.get("Attachment"):
        return False, f"not detached (status {status}{', attached' if eni.get('Attachment') else ''})"
    if eni.get("RequesterManaged"):
        owner = eni.get("RequesterId") or "an AWS service"
        return False, f"requester-managed by {owner}: only the service that created it may delete it"
    if origin != VPC_CNI:
        return False, f"origin {origin}: not a VPC CNI ENI; its owner manages its lifecycle, and its age is unknown"
    if not description.startswith(consumers.VPC_CNI_DESCRIPTION_PREFIX) or consumers.VPC_CNI_NODE_TAG not in tags:
        return False, (
            f"not in the shape the VPC CNI's own cleanup deletes (description {consumers.VPC_CNI_DESCRIPTION_PREFIX}"
            f"<instance> and tag {consumers.VPC_CNI_NODE_TAG})"
        )
    if created is None:
        return False, f"age unknown: no valid {VPC_CNI_CREATED_AT_TAG} tag (the CNI tags it and waits a round)"
    if cluster is not None and tags.get(consumers.VPC_CNI_CLUSTER_TAG) != cluster:
        return False, f"not tagged {consumers.VPC_CNI_CLUSTER_TAG}={cluster}: it may be another cluster's"
    age = now - created
    if age < older_than:
        return False, f"younger than --older-than {_hours(older_than)} ({_hours(age)} old)"
    return True, f"leaked VPC CNI ENI, detached and {_hours(age)} old (threshold {_hours(older_than)})"
