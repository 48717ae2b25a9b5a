"""ECS discovery: the subnets that services, tasks and capacity go into.

- ``ecs-task``: awsvpc services' ``networkConfiguration.awsvpcConfiguration.subnets`` and the ENI
  attachments of running standalone (not service-owned) tasks, on EC2 and Fargate alike;
- ``ecs-instance``: the ``VPCZoneIdentifier`` of capacity providers' Auto Scaling groups, the subnets
  of ECS Managed Instances capacity providers (``managedInstancesProvider.instanceLaunchTemplate.
  networkConfiguration.subnets``; no maximum in the API: their spec is an ``UnboundedSpec``) and the
  subnets of registered container instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from subnet_monitor.aws.batching import batched
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.ec2 import Ec2Reader
from subnet_monitor.core.gaps import HEADROOM, ROLES, WORKLOADS
from subnet_monitor.core.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_CONTAINER_INSTANCES,
    KIND_ECS_SERVICE,
    KIND_ECS_TASK,
    AsgSpec,
    Discovery,
    EcsServiceSpec,
    Role,
    UnboundedSpec,
    Workload,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Per-call maxima from the ECS and Auto Scaling API references.
DESCRIBE_CLUSTERS_MAX = 100
DESCRIBE_SERVICES_MAX = 10
DESCRIBE_TASKS_MAX = 100
DESCRIBE_CONTAINER_INSTANCES_MAX = 100
DESCRIBE_CAPACITY_PROVIDERS_MAX = 100
DESCRIBE_AUTO_SCALING_GROUPS_MAX = 100
DESCRIBE_SCALABLE_TARGETS_MAX = 50
# ListServices returns 10 services a page unless asked for up to 100 (ListClusters, ListTasks and
# ListContainerInstances already default to 100).
LIST_SERVICES_PAGE_MAX = 100
ECS_DESIRED_COUNT_DIMENSION = "ecs:service:DesiredCount"
# A service's deploymentConfiguration.maximumPercent defaults to 200 for the rolling update.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
DEFAULT_MAXIMUM_PERCENT = 200
# Fargate's capacity providers are AWS-managed and have no Auto Scaling group.
FARGATE_CAPACITY_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
# A task a service started carries group "service:<name>"; a standalone one "family:<name>".
SERVICE_TASK_GROUP_PREFIX = "service:"
ENI_ATTACHMENT_TYPE = "ElasticNetworkInterface"
ASG_NAME_TAG = "aws:autoscaling:groupName"


class EcsDiscoverer:
    """Finds the subnets of every (or every allow-listed) ECS cluster in a region."""

    def __init__(
        self, ecs: BaseClient, autoscaling: BaseClient, application_autoscaling: BaseClient, ec2: Ec2Reader
    ) -> None:
        self._ecs = ecs
        self._autoscaling = autoscaling
        self._application_autoscaling = application_autoscaling
        self._ec2 = ec2

    def discover(self, found: Discovery, allow: frozenset[str] = frozenset()) -> set[str]:
        """Add the subnets of every cluster (or of those named in ``allow``) to ``found``.

        A cluster that fails is recorded in ``found`` and the others go on.

        Returns
        -------
        set[str]
            the names of the clusters scanned, so the caller can tell an allow-listed name
            that exists nowhere.
        """
        try:
            clusters = self._clusters(allow)
        except AWS_ERRORS as error:
            found.fail("ecs", "ListClusters/DescribeClusters", error)
            # Any subnet may hold ECS workloads the scan did not see.
            found.missing(_read(error, "ListClusters"), error, (ROLES, WORKLOADS, *HEADROOM), everywhere=True)
            return set()
        trunking_error = None
        if clusters:
            try:
                found.ecs_trunking = self._trunking_enabled()
            except AWS_ERRORS as error:
                found.fail("ecs", "ListAccountSettings awsvpcTrunking", error)
                trunking_error = error
        container_instances: dict[str, Workload] = {}
        services: dict[Workload, EcsServiceSpec] = {}
        providers: dict[str, str] = {}  # capacity provider -> its cluster (a provider serves one cluster)
        for cluster in clusters:
            name = cluster["clusterName"]
            try:
                services.update(self._services(found, name))
                self._standalone_tasks(found, name)
                container_instances.update(self._container_instances(name))
            except AWS_ERRORS as error:
                found.fail("ecs", name, error)
                found.missing(
                    _read(error, "ListServices"), error, (ROLES, WORKLOADS, *HEADROOM), clusters=[("ecs", name)]
                )
                continue
            for provider in cluster.get("capacityProviders", []):
                if provider not in FARGATE_CAPACITY_PROVIDERS:
                    providers[provider] = name
        # What batches across clusters is read once for all of them: a handful of calls however many
        # clusters there are, and a failure here loses only what it was reading.
        try:
            max_tasks = self._scalable_maxima(services)
        except AWS_ERRORS as error:
            found.fail("application-autoscaling", "DescribeScalableTargets (service maxima)", error)
            # Planned at their desired count, a service that scales would look smaller than it can grow.
            found.missing(
                _read(error, "DescribeScalableTargets", "application-autoscaling"), error, HEADROOM, workloads=services
            )
            max_tasks = {}
        for workload, spec in services.items():
            found.specs[workload] = replace(spec, max_tasks=max_tasks.get(workload))
        try:
            self._capacity_providers(found, providers)
        except AWS_ERRORS as error:
            found.fail("ecs", "DescribeCapacityProviders/DescribeAutoScalingGroups", error)
            # The groups' subnets are unknown: the gap goes to the subnets of their clusters' other workloads.
            unread = {c for p, c in providers.items() if Workload(KIND_ECS_CAPACITY_PROVIDER, c, p) not in found.specs}
            found.missing(
                _read(error, "DescribeAutoScalingGroups", "autoscaling"),
                error,
                (ROLES, WORKLOADS, *HEADROOM),
                clusters=[("ecs", cluster) for cluster in unread],
            )
        if trunking_error is not None:
            # Without the setting, the groups are planned without their trunk interfaces.
            groups = [workload for workload, spec in found.specs.items() if isinstance(spec, AsgSpec)]
            found.missing(_read(trunking_error, "ListAccountSettings"), trunking_error, HEADROOM, workloads=groups)
        if container_instances:
            try:
                for instance_id, subnet_id in self._ec2.instance_subnets(container_instances).items():
                    found.add(subnet_id, Role.ECS_INSTANCE, container_instances[instance_id])
            except AWS_ERRORS as error:
                found.fail("ecs", "container instances (DescribeInstances)", error)
        return {c["clusterName"] for c in clusters}

    def _clusters(self, allow: frozenset[str]) -> list[dict[str, Any]]:
        # List rather than describe the allow-list by name: a name may be an EKS cluster's,
        # which is not an ECS error.
        pages = self._ecs.get_paginator("list_clusters").paginate()
        arns = [arn for page in pages for arn in page["clusterArns"]]
        if allow:
            arns = [arn for arn in arns if arn.rsplit("/", 1)[-1] in allow]
        clusters = []
        for batch in batched(arns, DESCRIBE_CLUSTERS_MAX):
            response = self._ecs.describe_clusters(clusters=list(batch))
            clusters.extend(c for c in response["clusters"] if c.get("status") != "INACTIVE")
        return clusters

    def _services(self, found: Discovery, cluster: str) -> dict[Workload, EcsServiceSpec]:
        """The cluster's awsvpc services into ``found``; their specs, still without the scaling maxima."""
        pages = self._ecs.get_paginator("list_services").paginate(
            cluster=cluster, PaginationConfig={"PageSize": LIST_SERVICES_PAGE_MAX}
        )
        arns = [arn for page in pages for arn in page["serviceArns"]]
        specs: dict[Workload, EcsServiceSpec] = {}
        for batch in batched(arns, DESCRIBE_SERVICES_MAX):
            for service in self._ecs.describe_services(cluster=cluster, services=list(batch))["services"]:
                subnets = _awsvpc_subnets(service.get("networkConfiguration"))
                if subnets and service.get("status") != "INACTIVE":
                    workload = Workload(KIND_ECS_SERVICE, cluster, service["serviceName"])
                    found.add_all(subnets, Role.ECS_TASK, workload)
                    specs[workload] = EcsServiceSpec(
                        subnets=tuple(subnets),
                        desired=service.get("desiredCount", 0),
                        running=service.get("runningCount", 0),
                        maximum_percent=service.get("deploymentConfiguration", {}).get(
                            "maximumPercent", DEFAULT_MAXIMUM_PERCENT
                        ),
                    )
        return specs

    def _scalable_maxima(self, services: Iterable[Workload]) -> dict[Workload, int]:
        """Application Auto Scaling's MaxCapacity of each service that scales, 50 services a call
        across every cluster (the resource ID ``service/<cluster>/<service>`` names both)."""
        by_resource = {f"service/{w.cluster}/{w.name}": w for w in services}
        maxima = {}
        for batch in batched(sorted(by_resource), DESCRIBE_SCALABLE_TARGETS_MAX):
            pages = self._application_autoscaling.get_paginator("describe_scalable_targets").paginate(
                ServiceNamespace="ecs", ResourceIds=list(batch), ScalableDimension=ECS_DESIRED_COUNT_DIMENSION
            )
            for page in pages:
                for target in page["ScalableTargets"]:
                    if target["ResourceId"] in by_resource:
                        maxima[by_resource[target["ResourceId"]]] = target["MaxCapacity"]
        return maxima

    def _trunking_enabled(self) -> bool:
        settings = self._ecs.list_account_settings(name="awsvpcTrunking", effectiveSettings=True)["settings"]
        return any(setting.get("value") == "enabled" for setting in settings)

    def _standalone_tasks(self, found: Discovery, cluster: str) -> None:
        pages = self._ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING")
        arns = [arn for page in pages for arn in page["taskArns"]]
        for batch in batched(arns, DESCRIBE_TASKS_MAX):
            for task in self._ecs.describe_tasks(cluster=cluster, tasks=list(batch))["tasks"]:
                group = task.get("group", "")
                if group.startswith(SERVICE_TASK_GROUP_PREFIX):
                    continue  # its service already brought its subnets
                name = group or task.get("taskDefinitionArn", "task").rsplit("/", 1)[-1]
                for attachment in task.get("attachments", []):
                    if attachment.get("type") != ENI_ATTACHMENT_TYPE:
                        continue
                    details = {d["name"]: d.get("value") for d in attachment.get("details", [])}
                    if details.get("subnetId"):
                        found.add(details["subnetId"], Role.ECS_TASK, Workload(KIND_ECS_TASK, cluster, name))

    def _capacity_providers(self, found: Discovery, clusters: dict[str, str]) -> None:
        """The Auto Scaling groups behind the capacity providers of every cluster (and the subnets of
        Managed Instances providers), read together:
        providers 100 names a call (10 a page), groups 100 a call."""
        asg_providers: dict[str, str] = {}
        seen: set[str] = set()

        def read(provider: dict[str, Any]) -> None:
            seen.add(provider["name"])
            asg_arn = provider.get("autoScalingGroupProvider", {}).get("autoScalingGroupArn", "")
            if asg_arn:
                asg_providers[_asg_name(asg_arn)] = provider["name"]
            elif provider.get("managedInstancesProvider"):
                _managed_instances(found, clusters[provider["name"]], provider)

        for batch in batched(sorted(clusters), DESCRIBE_CAPACITY_PROVIDERS_MAX):
            for provider in self._describe_capacity_providers(list(batch)):
                read(provider)
        # Managed Instances providers are cluster-scoped: a provider the account-wide read did not return
        # is asked for again with its cluster (DescribeCapacityProviders' ``cluster``: "only capacity
        # providers associated with this cluster are returned, including Amazon ECS Managed Instances
        # capacity providers"). https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeCapacityProviders.html
        by_cluster: dict[str, list[str]] = {}
        for provider_name in sorted(clusters.keys() - seen):
            by_cluster.setdefault(clusters[provider_name], []).append(provider_name)
        for cluster, names in sorted(by_cluster.items()):
            for batch in batched(names, DESCRIBE_CAPACITY_PROVIDERS_MAX):
                for provider in self._describe_capacity_providers(list(batch), cluster):
                    if provider["name"] in clusters and provider["name"] not in seen:
                        read(provider)
        for batch in batched(sorted(asg_providers), DESCRIBE_AUTO_SCALING_GROUPS_MAX):
            pages = self._autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
                AutoScalingGroupNames=list(batch),
                PaginationConfig={"PageSize": DESCRIBE_AUTO_SCALING_GROUPS_MAX},
            )
            for page in pages:
                for group in page["AutoScalingGroups"]:
                    provider = asg_providers[group["AutoScalingGroupName"]]
                    workload = Workload(KIND_ECS_CAPACITY_PROVIDER, clusters[provider], provider)
                    subnets = [s.strip() for s in group.get("VPCZoneIdentifier", "").split(",") if s.strip()]
                    found.add_all(subnets, Role.ECS_INSTANCE, workload)
                    instances = group.get("Instances", [])
                    found.specs[workload] = AsgSpec(
                        subnets=tuple(subnets),
                        max_size=group["MaxSize"],
                        instances=len(instances),
                        name=group["AutoScalingGroupName"],
                    )
                    for instance in instances:
                        found.instance_owners[instance["InstanceId"]] = workload

    def _describe_capacity_providers(self, names: list[str], cluster: str | None = None) -> Iterator[dict[str, Any]]:
        # botocore ships no paginator for DescribeCapacityProviders (it pages 10 at a time),
        # so this is the one hand-written nextToken loop.
        kwargs: dict[str, Any] = {"capacityProviders": names, **({"cluster": cluster} if cluster else {})}
        while True:
            page = self._ecs.describe_capacity_providers(**kwargs)
            yield from page["capacityProviders"]
            if not page.get("nextToken"):
                return
            kwargs["nextToken"] = page["nextToken"]

    def _container_instances(self, cluster: str) -> dict[str, Workload]:
        """EC2 instance ID → the workload it belongs to; subnets are read in one batch later."""
        pages = self._ecs.get_paginator("list_container_instances").paginate(cluster=cluster)
        arns = [arn for page in pages for arn in page["containerInstanceArns"]]
        owners: dict[str, Workload] = {}
        for batch in batched(arns, DESCRIBE_CONTAINER_INSTANCES_MAX):
            response = self._ecs.describe_container_instances(cluster=cluster, containerInstances=list(batch))
            for instance in response["containerInstances"]:
                if instance.get("ec2InstanceId"):
                    owners[instance["ec2InstanceId"]] = Workload(KIND_ECS_CONTAINER_INSTANCES, cluster, cluster)
        return owners


def _read(error: Exception, default: str, service: str = "ecs") -> str:
    """The failed call, IAM style (``ecs:ListServices``): botocore's ClientError names it."""
    operation = getattr(error, "operation_name", None) or default
    return f"{service}:{operation.rsplit(':', 1)[-1]}"


def _managed_instances(found: Discovery, cluster: str, provider: dict[str, Any]) -> None:
    """An ECS Managed Instances capacity provider: ``managedInstancesProvider`` {infrastructureRoleArn,
    instanceLaunchTemplate: {ec2InstanceProfileArn, networkConfiguration: {subnets, securityGroups}, ...}}
    (API_ManagedInstancesProvider.html, API_InstanceLaunchTemplate.html,
    API_ManagedInstancesNetworkConfiguration.html in the ECS API reference). ECS launches the instances
    in those subnets; the API gives no maximum number of them."""
    template = provider["managedInstancesProvider"].get("instanceLaunchTemplate") or {}
    subnets = tuple((template.get("networkConfiguration") or {}).get("subnets") or ())
    workload = Workload(KIND_ECS_CAPACITY_PROVIDER, cluster, provider["name"])
    found.add_all(subnets, Role.ECS_INSTANCE, workload)
    found.specs[workload] = UnboundedSpec(subnets)


def _awsvpc_subnets(network_configuration: dict[str, Any] | None) -> list[str]:
    return list((network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets", []))


def _asg_name(asg_arn: str) -> str:
    # arn:aws:autoscaling:region:account:autoScalingGroup:uuid:autoScalingGroupName/NAME
    return asg_arn.split("autoScalingGroupName/", 1)[-1]
