"""EKS discovery: control-plane, node and Fargate subnets.

- ``eks-control-plane``: ``resourcesVpcConfig.subnetIds`` of the cluster;
- ``eks-node``: managed node groups' subnets (their instance type from ``instanceTypes``, or from
  their launch template version when that sets it); the subnets of live instances tagged
  ``kubernetes.io/cluster/<name>`` that belong to no managed node group (self-managed and Karpenter
  nodes); subnets tagged ``karpenter.sh/discovery = <name>`` (where Karpenter launches nodes);
- ``eks-fargate``: Fargate profiles' subnets;
- ``eks-node`` with workload kind ``eks-auto-mode`` (EKS Auto Mode, ``computeConfig.enabled``): each
  built-in node pool of ``computeConfig.nodePools`` in the cluster's subnets (the ``default`` NodeClass
  uses them), and the subnets of live instances EKS launched for a node pool, by their tags
  ``eks:eks-cluster-name`` and ``eks:kubernetes-node-pool-name``. Their maximum is a Kubernetes
  object no AWS API returns: their spec is an ``UnboundedSpec``.
- ``eks-pod``: where pods get their addresses outside the node subnets: the subnets of the non-primary
  ENIs attached to a cluster's nodes (managed, self-managed, Karpenter) that differ from the node's
  primary ENI's subnet (VPC CNI custom networking puts pod ENIs in the ENIConfig subnet of the node's
  zone, cni-custom-network.html; enhanced subnet discovery in subnets tagged ``kubernetes.io/role/cni``,
  cni-subnet-selection.html), and subnets tagged ``kubernetes.io/role/cni`` in a cluster's VPC.

It also reads each cluster's ``vpc-cni`` add-on (``Discovery.cni_addons``), whose configuration
values are the CNI settings the capacity model uses (core.cni).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from subnet_monitor.aws.batching import NESTED_READ_WORKERS, Progress, concurrently
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.ec2 import Ec2Reader, TemplateVersion
from subnet_monitor.core.cni import VPC_CNI_ADDON, AddonState, VpcCniAddon
from subnet_monitor.core.gaps import HEADROOM, ROLES, WORKLOADS
from subnet_monitor.core.models import (
    EKS_INSUFFICIENT_FREE_ADDRESSES,
    KIND_EKS_AUTO_MODE,
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    KIND_EKS_SELF_MANAGED_NODES,
    KIND_EKS_TAGGED_SUBNET,
    Discovery,
    FargateProfileSpec,
    HealthIssue,
    NodegroupSpec,
    Role,
    UnboundedSpec,
    Workload,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Tags AWS and Karpenter put on nodes and subnets.
# https://docs.aws.amazon.com/eks/latest/userguide/launch-workers.html (kubernetes.io/cluster/<name>)
# https://karpenter.sh/docs/reference/cloudformation/ (karpenter.sh/discovery)
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"
MANAGED_NODEGROUP_TAG = "eks:nodegroup-name"
KARPENTER_NODEPOOL_TAG = "karpenter.sh/nodepool"
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"
ASG_NAME_TAG = "aws:autoscaling:groupName"
# The tags EKS Auto Mode puts on the instances it launches: AmazonEKSComputePolicy lets the cluster
# role run instances only with these request tags (eks:eks-cluster-name equal to the cluster's name).
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKSComputePolicy.html
AUTO_MODE_CLUSTER_TAG = "eks:eks-cluster-name"
AUTO_MODE_NODE_POOL_TAG = "eks:kubernetes-node-pool-name"
# An Auto Mode node without a node pool tag (not expected; named so rather than dropped).
AUTO_MODE_UNKNOWN_POOL = "unknown-node-pool"
# "The VPC CNI automatically discovers subnets in the same VPC and Availability Zone" tagged
# kubernetes.io/role/cni (VPC CNI 1.18.0 or later, enhanced subnet discovery).
# https://docs.aws.amazon.com/eks/latest/userguide/cni-subnet-selection.html
CNI_SUBNET_TAG = "kubernetes.io/role/cni"
CNI_SUBNET_TAG_VALUE = "1"


@dataclass
class _ClusterRead:
    """What one cluster's reads found, kept apart until merged in cluster order."""

    found: Discovery = field(default_factory=Discovery)
    pending: dict[Workload, TemplateVersion] = field(default_factory=dict)
    auto_mode: set[str] = field(default_factory=set)
    vpcs: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    error: Exception | None = None


class EksDiscoverer:
    """Finds the subnets of every (or every allow-listed) EKS cluster in a region."""

    def __init__(self, eks: BaseClient, ec2: Ec2Reader, progress: Progress | None = None) -> None:
        self._eks = eks
        self._ec2 = ec2
        self._progress = progress
        # Cluster name -> its VPC (or its subnets when DescribeCluster gave no VPC), for the subnets
        # tagged kubernetes.io/role/cni.
        self._vpcs: dict[str, str | tuple[str, ...]] = {}

    def discover(self, found: Discovery, allow: frozenset[str] = frozenset()) -> set[str]:
        """Add the subnets of every cluster (or of those named in ``allow``) to ``found``.

        A cluster that fails is recorded in ``found`` and the others go on.

        Returns
        -------
        set[str]
            the names of the clusters scanned.
        """
        try:
            pages = self._eks.get_paginator("list_clusters").paginate()
            names = [name for page in pages for name in page["clusters"] if not allow or name in allow]
        except AWS_ERRORS as error:
            found.fail("eks", "ListClusters", error)
            found.missing("eks:ListClusters", error, (ROLES, WORKLOADS, *HEADROOM), everywhere=True)
            return set()
        pending: dict[Workload, TemplateVersion] = {}
        auto_mode: set[str] = set()  # the clusters with EKS Auto Mode on
        # The clusters are read side by side, each into a part of its own, merged in ListClusters' order.
        for done in concurrently(self._read_cluster, names, progress=self._progress, label="EKS clusters"):
            name, read = done.item, done.value
            assert read is not None  # _read_cluster keeps its AWS errors
            found.merge(read.found)
            pending.update(read.pending)
            auto_mode |= read.auto_mode
            self._vpcs.update(read.vpcs)
            if (error := read.error) is not None:
                found.fail("eks", name, error)
                operation = getattr(error, "operation_name", None) or "DescribeCluster"
                read = f"eks:{operation.rsplit(':', 1)[-1]}"
                found.missing(read, error, (ROLES, WORKLOADS, *HEADROOM), clusters=[("eks", name)])
        if pending:
            self._launch_template_types(found, pending)
        if names:
            try:
                self._self_managed_nodes(found, names, auto_mode)
            except AWS_ERRORS as error:
                found.fail("eks", "self-managed nodes (DescribeInstances/DescribeSubnets)", error)
        return set(names)

    def _read_cluster(self, name: str) -> _ClusterRead:
        """One cluster's reads into a :class:`_ClusterRead` of its own; an AWS error stops them, as it
        would a loop, and is kept with what was read before it."""
        read = _ClusterRead()
        try:
            self._cluster(read.found, name, read.pending, read.auto_mode, read.vpcs)
        except AWS_ERRORS as error:
            read.error = error
        return read

    def _cluster(
        self,
        found: Discovery,
        name: str,
        pending: dict[Workload, TemplateVersion],
        auto_mode: set[str],
        vpcs: dict[str, str | tuple[str, ...]],
    ) -> None:
        """Add one cluster's subnets and node groups to ``found``; node groups whose instance type is
        in their launch template go to ``pending``, the cluster's name to ``auto_mode`` when EKS Auto
        Mode is on, its VPC to ``vpcs``. The node groups (and then the Fargate profiles) are described
        side by side; an error stops the cluster where a loop over them would have stopped."""
        cluster = self._eks.describe_cluster(name=name)["cluster"]
        subnets = cluster.get("resourcesVpcConfig", {}).get("subnetIds", [])
        # VpcConfigResponse.vpcId (API_VpcConfigResponse.html); moto 5.2.5 leaves it out, and then the
        # VPC of the cluster's subnets stands in (read only if a subnet is tagged kubernetes.io/role/cni).
        vpcs[name] = cluster.get("resourcesVpcConfig", {}).get("vpcId") or tuple(subnets)
        found.add_all(subnets, Role.EKS_CONTROL_PLANE, Workload(KIND_EKS_CLUSTER, name, name))
        # computeConfig {enabled, nodePools, nodeRoleArn}: Auto Mode's built-in node pools ("general-purpose",
        # "system"). https://docs.aws.amazon.com/eks/latest/APIReference/API_ComputeConfigResponse.html
        # They use the built-in NodeClass "default", which launches nodes in the cluster's subnets.
        # https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html
        compute = cluster.get("computeConfig") or {}
        if compute.get("enabled"):
            auto_mode.add(name)
            for pool in compute.get("nodePools") or ():
                _auto_mode_node(found, Workload(KIND_EKS_AUTO_MODE, name, pool), subnets)
        # EKS sends no event for health issues: the scan reads them (InsufficientFreeAddresses only).
        found.health_issues.extend(health_issues(name, None, cluster.get("health")))
        found.cni_addons[name] = self._vpc_cni_addon(found, name)
        nodegroup_pages = self._eks.get_paginator("list_nodegroups").paginate(clusterName=name)
        nodegroups = _described(
            (page["nodegroups"] for page in nodegroup_pages),
            lambda nodegroup_name: self._eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup_name),
        )
        for nodegroup_name, described in nodegroups:
            nodegroup = described["nodegroup"]
            workload = Workload(KIND_EKS_NODEGROUP, name, nodegroup_name)
            found.health_issues.extend(health_issues(name, nodegroup_name, nodegroup.get("health")))
            subnets = tuple(nodegroup.get("subnets", []))
            found.add_all(subnets, Role.EKS_NODE, workload)
            scaling = nodegroup.get("scalingConfig", {})
            instance_types = tuple(nodegroup.get("instanceTypes") or ())
            template = nodegroup.get("launchTemplate") or {}
            ref = (template.get("id", ""), template.get("name", ""), template.get("version") or "$Default")
            if not instance_types and (ref[0] or ref[1]):
                pending[workload] = ref
            found.specs[workload] = NodegroupSpec(
                subnets=subnets,
                max_size=scaling.get("maxSize", 0),
                desired=scaling.get("desiredSize", 0),
                instance_types=instance_types,
                launch_template=f"{ref[0] or ref[1]} version {ref[2]}" if workload in pending else None,
            )
        profile_pages = self._eks.get_paginator("list_fargate_profiles").paginate(clusterName=name)
        profiles = _described(
            (page["fargateProfileNames"] for page in profile_pages),
            lambda profile_name: self._eks.describe_fargate_profile(clusterName=name, fargateProfileName=profile_name),
        )
        for profile_name, profile in profiles:
            workload = Workload(KIND_EKS_FARGATE_PROFILE, name, profile_name)
            subnets = tuple(profile["fargateProfile"].get("subnets", []))
            found.add_all(subnets, Role.EKS_FARGATE, workload)
            found.specs[workload] = FargateProfileSpec(subnets=subnets)

    def _launch_template_types(self, found: Discovery, pending: Mapping[Workload, TemplateVersion]) -> None:
        """The instance type (and any custom AMI) of node groups deployed with a launch template:
        DescribeNodegroup's ``instanceTypes`` "If the node group was deployed with a launch template,
        then this is null" (API_Nodegroup.html), and ``launchTemplate`` gives its ``id``, ``name`` and
        ``version`` (API_LaunchTemplateSpecification.html: "If no version is specified, then the
        template's default version is used"). A version that cannot be read, or sets no instance type,
        leaves the node group without instance types: the headroom model says so, never guesses."""

        def failed(ref: TemplateVersion, error: Exception) -> None:
            found.fail("ec2", f"DescribeLaunchTemplateVersions {ref[0] or ref[1]} version {ref[2]}", error)
            # The node groups on that template have no known headroom: their subnets say so.
            on_it = [workload for workload, used in pending.items() if used == ref]
            found.missing("ec2:DescribeLaunchTemplateVersions", error, HEADROOM, workloads=on_it)

        data = self._ec2.launch_template_versions(pending.values(), on_error=failed)
        for workload, ref in pending.items():
            version = data.get(ref, {})
            spec = found.specs[workload]
            if isinstance(spec, NodegroupSpec) and version.get("InstanceType"):
                found.specs[workload] = replace(
                    spec, instance_types=(version["InstanceType"],), custom_ami=version.get("ImageId")
                )

    def _vpc_cni_addon(self, found: Discovery, name: str) -> VpcCniAddon:
        """The cluster's ``vpc-cni`` add-on: its version and configuration values; ``ABSENT`` when EKS has
        none (ResourceNotFoundException: a self-managed CNI); ``UNREAD``, and a scan error, when the
        read fails. https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeAddon.html"""
        try:
            addon = self._eks.describe_addon(clusterName=name, addonName=VPC_CNI_ADDON)["addon"]
        except AWS_ERRORS as error:
            if getattr(error, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
                return VpcCniAddon(AddonState.ABSENT)
            found.fail("eks", f"{name} DescribeAddon vpc-cni", error)
            # How many addresses its nodes hold depends on the settings: their headroom is not known.
            found.missing("eks:DescribeAddon", error, HEADROOM, clusters=[("eks", name)])
            return VpcCniAddon(AddonState.UNREAD)
        return VpcCniAddon(AddonState.INSTALLED, addon.get("addonVersion"), addon.get("configurationValues"))

    def _self_managed_nodes(self, found: Discovery, names: list[str], auto_mode: set[str]) -> None:
        cluster_by_tag = {CLUSTER_TAG_PREFIX + name: name for name in names}
        keys = sorted(cluster_by_tag) + ([AUTO_MODE_CLUSTER_TAG] if auto_mode else [])
        for instance in self._ec2.instances_with_tag_keys(keys):
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            if tags.get(AUTO_MODE_CLUSTER_TAG) in auto_mode:
                # A node EKS Auto Mode launched for a node pool: whose node it is, and where it is.
                pool = tags.get(AUTO_MODE_NODE_POOL_TAG) or AUTO_MODE_UNKNOWN_POOL
                owner = Workload(KIND_EKS_AUTO_MODE, tags[AUTO_MODE_CLUSTER_TAG], pool)
                found.instance_owners[instance["InstanceId"]] = owner
                _auto_mode_node(found, owner, [instance["SubnetId"]] if instance.get("SubnetId") else [])
                continue
            if MANAGED_NODEGROUP_TAG in tags:
                # A managed node group's subnets come from the node group itself; remember whose
                # node this is, so the headroom model can count what the group holds now.
                for key in tags.keys() & cluster_by_tag.keys():
                    owner = Workload(KIND_EKS_NODEGROUP, cluster_by_tag[key], tags[MANAGED_NODEGROUP_TAG])
                    found.instance_owners[instance["InstanceId"]] = owner
                    _pod_subnets(found, instance, owner)
                continue
            if not instance.get("SubnetId"):
                continue
            for key in tags.keys() & cluster_by_tag.keys():
                workload = Workload(KIND_EKS_SELF_MANAGED_NODES, cluster_by_tag[key], _node_owner(tags))
                found.add(instance["SubnetId"], Role.EKS_NODE, workload)
                _pod_subnets(found, instance, workload)
        tagged = self._ec2.subnets_where(f"tag:{KARPENTER_DISCOVERY_TAG}", names)
        for subnet_id, state in tagged.items():
            cluster = state.tags[KARPENTER_DISCOVERY_TAG]
            found.add(subnet_id, Role.EKS_NODE, Workload(KIND_EKS_TAGGED_SUBNET, cluster, KARPENTER_DISCOVERY_TAG))
        self._cni_tagged_subnets(found, names)

    def _cni_tagged_subnets(self, found: Discovery, names: list[str]) -> None:
        """Subnets tagged ``kubernetes.io/role/cni = 1``: pod subnets of the clusters in their VPC (the
        CNI picks them "in the same VPC and Availability Zone", cni-subnet-selection.html), narrowed to
        the clusters a ``kubernetes.io/cluster/<name>`` tag names when the subnet carries one."""
        if not self._vpcs:
            return
        tagged = self._ec2.subnets_where(f"tag:{CNI_SUBNET_TAG}", [CNI_SUBNET_TAG_VALUE])
        if not tagged:
            return
        unknown = {s for vpc in self._vpcs.values() if isinstance(vpc, tuple) for s in vpc}
        states = self._ec2.subnets_where("subnet-id", unknown) if unknown else {}
        vpcs = {
            name: vpc if isinstance(vpc, str) else next((states[s].vpc_id for s in vpc if s in states), "")
            for name, vpc in self._vpcs.items()
        }
        for subnet_id, state in tagged.items():
            in_vpc = [name for name in names if vpcs.get(name) == state.vpc_id]
            named = [name for name in in_vpc if CLUSTER_TAG_PREFIX + name in state.tags]
            for cluster in named or in_vpc:
                found.add_pod_subnet(subnet_id, Workload(KIND_EKS_TAGGED_SUBNET, cluster, CNI_SUBNET_TAG))


def _described(
    name_pages: Iterable[Sequence[str]], describe: Callable[[str], dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, description)`` of every listed name, in listed order, the descriptions read side by
    side (EKS has no batch describe for node groups or Fargate profiles: one call each). The first
    error a loop over pages and names would have met is raised where it would have met it: after the
    names before it were yielded."""
    names: list[str] = []
    listing_error: Exception | None = None
    try:
        for page in name_pages:
            names.extend(page)
    except AWS_ERRORS as error:
        listing_error = error  # the names of the pages before it are still described
    for done in concurrently(describe, names, catch=AWS_ERRORS, workers=NESTED_READ_WORKERS):
        if done.error is not None:
            raise done.error
        yield done.item, done.value
    if listing_error is not None:
        raise listing_error


def _pod_subnets(found: Discovery, instance: Mapping[str, Any], workload: Workload) -> None:
    """The pod subnets of one node, from ``DescribeInstances``' ``NetworkInterfaces``: the subnets of
    its ENIs other than the primary (``Attachment.DeviceIndex`` 0) that are not the primary's subnet.
    The VPC CNI names the ENIs it creates ``aws-K8S-<instance-id>`` (pkg/awsutils/awsutils.go,
    eniDescriptionPrefix); any attached ENI counts, since the monitor sees only what is attached.

    Custom networking is seen when the primary ENI holds no address but its own: "the primary network
    interface ... is not used for pods" (cni-custom-network.html), while enhanced subnet discovery
    keeps pods on it too."""
    enis = instance.get("NetworkInterfaces") or []
    primary = next((e for e in enis if (e.get("Attachment") or {}).get("DeviceIndex") == 0), None)
    if primary is None or not primary.get("SubnetId"):
        return
    others = {
        e["SubnetId"] for e in enis if e is not primary and e.get("SubnetId") and e["SubnetId"] != primary["SubnetId"]
    }
    for subnet_id in sorted(others):
        found.add_pod_subnet(subnet_id, workload)
    holds_pods = len(primary.get("PrivateIpAddresses") or []) > 1 or bool(primary.get("Ipv4Prefixes"))
    if others and not holds_pods:
        found.custom_networking_seen.add(workload.cluster)


def _auto_mode_node(found: Discovery, workload: Workload, subnets: list[str]) -> None:
    """An Auto Mode node pool in ``subnets``, beside the subnets it was already found in."""
    found.add_all(subnets, Role.EKS_NODE, workload)
    known = found.specs.get(workload)
    before = known.subnets if known is not None else ()
    found.specs[workload] = UnboundedSpec(tuple(dict.fromkeys((*before, *subnets))))


def _node_owner(tags: dict[str, str]) -> str:
    """Name what launched a self-managed node: a Karpenter node pool, an Auto Scaling group, or
    nothing we can tell."""
    if KARPENTER_NODEPOOL_TAG in tags:
        return f"karpenter:{tags[KARPENTER_NODEPOOL_TAG]}"
    return tags.get(ASG_NAME_TAG, "self-managed")


def health_issues(cluster: str, nodegroup: str | None, health: Any) -> list[HealthIssue]:
    """The ``InsufficientFreeAddresses`` issues of a ``describe_cluster``/``describe_nodegroup`` health
    block; anything else in it is not about addresses."""
    issues = health.get("issues") if isinstance(health, Mapping) else None
    found = []
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, Mapping) and issue.get("code") == EKS_INSUFFICIENT_FREE_ADDRESSES:
            resource_ids = issue.get("resourceIds")
            found.append(
                HealthIssue(
                    cluster=cluster,
                    nodegroup=nodegroup,
                    code=EKS_INSUFFICIENT_FREE_ADDRESSES,
                    message=(issue.get("message") if isinstance(issue.get("message"), str) else None) or "",
                    resource_ids=tuple(r for r in resource_ids if isinstance(r, str))
                    if isinstance(resource_ids, list)
                    else (),
                )
            )
    return found
