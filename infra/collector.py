"""The collector function: its code, role, log group and least-privilege permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import LAMBDA_ASSET_DIR
from infra.nag import WILDCARD_RESOURCE, Acknowledgement, acknowledge, nag_rendering
from infra.powertools import ARCHITECTURE, RUNTIME, powertools_layer
from subnet_monitor.core.metrics import NAMESPACE

HANDLER = "subnet_monitor.handlers.scan.lambda_handler"
# One month of per-subnet records is enough to answer "what changed last week?"; CloudWatch
# Logs storage is billed per GB-month, so an unbounded retention only grows the bill.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Files under the asset directory that are not code (keeps the asset hash stable across runs).
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc"]

# Read actions, grouped by the resource types the Service Authorization Reference lists for them.
# https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
# Action -> why it is granted on Resource "*" (the cdk-nag acknowledgement quotes these).
# No resource type at all: IAM accepts only "*".
UNSCOPED_READ_ACTIONS = {
    "ec2:DescribeSubnets": "EC2 Describe calls have no resource type",
    "ec2:DescribeInstances": "EC2 Describe calls have no resource type",
    "autoscaling:DescribeAutoScalingGroups": "no resource type",
    "ecs:ListClusters": "account-wide listing, no resource type",
    "eks:ListClusters": "account-wide listing, no resource type",
    # The capacity model (headroom, fragmentation, consumers, forecast):
    "ec2:DescribeNetworkInterfaces": "EC2 Describe calls have no resource type",
    "ec2:DescribeInstanceTypes": "EC2 Describe calls have no resource type",
    # A node group's instance type when its launch template sets it; the Service Authorization
    # Reference lists no resource type for it, like the other EC2 Describe calls.
    "ec2:DescribeLaunchTemplateVersions": "EC2 Describe calls have no resource type",
    "ec2:GetSubnetCidrReservations": "read-only, on subnets found at scan time; granted like the EC2 Describe calls",
    "ecs:ListAccountSettings": "account setting (awsvpcTrunking), no resource type",
    "application-autoscaling:DescribeScalableTargets": "no resource type",
    "cloudwatch:GetMetricData": "no resource type; reads back this monitor's own Custom/VPC history",
}
# "*" narrowed by a condition to this account's and region's ECS clusters.
ECS_CLUSTER_CONDITIONED_ACTIONS = {
    "ecs:ListServices": "no resource type; narrowed by an ecs:cluster ArnLike condition to this account's clusters",
    # CDK's own ECS drain hook grants it the same way.
    "ecs:ListTasks": (
        "documented against container-instance but authorized per cluster when called with a cluster "
        "and no container instance; narrowed by the same ecs:cluster condition"
    ),
}
# Resource type -> actions scoped to ARNs of that type (arn:…:<service>:<region>:<account>:<type>/*).
ECS_SCOPED_ACTIONS = {
    "cluster": ("ecs:DescribeClusters", "ecs:ListContainerInstances"),
    "service": ("ecs:DescribeServices",),
    "task": ("ecs:DescribeTasks",),
    "container-instance": ("ecs:DescribeContainerInstances",),
    "capacity-provider": ("ecs:DescribeCapacityProviders",),
}
EKS_SCOPED_ACTIONS = {
    "cluster": ("eks:DescribeCluster", "eks:ListNodegroups", "eks:ListFargateProfiles"),
    "nodegroup": ("eks:DescribeNodegroup",),
    "fargateprofile": ("eks:DescribeFargateProfile",),
    # The vpc-cni add-on's configuration (core.cni). Service Authorization Reference, Amazon EKS:
    # DescribeAddon on resource type addon, arn:${Partition}:eks:${Region}:${Account}:addon/${ClusterName}/
    # ${AddonName}/${UUID}. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html
    "addon": ("eks:DescribeAddon",),
}


def package_function(scope: Construct, id_: str, **props: Any) -> lambda_.Function:
    """A function of this package: the ``lambda/`` directory as a plain asset (no Docker bundling), the
    runtime and architecture the public Powertools layer is published for, and that layer. The rest
    (handler, memory, timeout, role, environment...) is the caller's."""
    return lambda_.Function(
        scope,
        id_,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        code=lambda_.Code.from_asset(str(LAMBDA_ASSET_DIR), exclude=ASSET_EXCLUDES),
        layers=[powertools_layer(scope, "PowertoolsLayer")],
        **props,
    )


PUT_METRIC_DATA = "cloudwatch:PutMetricData"
PUT_METRIC_DATA_REASON = "a namespace is not a resource; narrowed by the condition cloudwatch:namespace = Custom/VPC"


def put_metric_data_statement() -> iam.PolicyStatement:
    """The one write to CloudWatch either function may make: metrics in ``Custom/VPC`` only."""
    return iam.PolicyStatement(
        sid="PutMetricDataToOwnNamespaceOnly",
        actions=[PUT_METRIC_DATA],
        resources=["*"],
        conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
    )


def write_log_group_statement(log_group: logs.ILogGroup) -> iam.PolicyStatement:
    """A function writes its own log group and no other."""
    return iam.PolicyStatement(
        sid="WriteOwnLogGroup",
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=[log_group.log_group_arn],
    )


class CollectorFunction(Construct):
    """The scheduled scan: a Python Lambda on arm64 with the public Powertools layer.

    Attributes
    ----------
    function, role, log_group
        for the schedule, the alarms and the dashboard.
    unscoped_actions
        action -> why it is granted on ``Resource: "*"`` (no resource type to scope it to).
    arn_scoped_actions
        ``(ARN pattern, actions)`` for each statement scoped to one resource type.
    acknowledgements
        the cdk-nag findings these grants cause, accepted with their reasons.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        environment: Mapping[str, str],
        memory_mb: int,
        timeout: Duration,
        max_event_age: Duration,
    ) -> None:
        super().__init__(scope, id_)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Kept, so another construct can add the one statement it needs (infra/failures.py: PutEvents).
        self.policy = iam.PolicyDocument(statements=self._statements())
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Subnet monitor collector: read-only discovery, metrics to Custom/VPC, its own logs",
            inline_policies={"collector": self.policy},
        )
        self.function = package_function(
            self,
            "Function",
            description="Scans ECS/EKS subnets for IP exhaustion and publishes Custom/VPC metrics",
            handler=HANDLER,
            memory_size=memory_mb,
            timeout=timeout,
            environment=dict(environment),
            role=self.role,
            log_group=self.log_group,
            # A failed scan is not retried by Lambda: the next scheduled scan is the retry, and a
            # retry could run alongside it. No reserved concurrency: new accounts have a quota of
            # 10 and any reservation makes the deploy fail there.
            retry_attempts=0,
            max_event_age=max_event_age,
        )
        self.acknowledgements = acknowledge(self._wildcard_findings())

    def _wildcard_findings(self) -> list[Acknowledgement]:
        """The role's ``Resource: "*"`` and per-type wildcard grants (see :meth:`_statements`)."""
        stack = Stack.of(self)
        unscoped = "; ".join(f"{action}: {why}" for action, why in self.unscoped_actions.items())
        found = [
            Acknowledgement(
                self.role,
                WILDCARD_RESOURCE,
                "Resource '*' because IAM accepts no narrower resource for these actions (the Service "
                "Authorization Reference lists no resource type for them); the ECS listings and the one write "
                f"are narrowed by conditions instead: {unscoped}.",
            )
        ]
        for arn, actions in self.arn_scoped_actions:
            rendered = nag_rendering(stack, arn)
            found.append(
                Acknowledgement(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::{rendered}]",
                    f"{', '.join(actions)} on {rendered}: read-only calls on resources of this account and "
                    "region that the collector discovers at scan time (clusters, and the services, tasks, "
                    "container instances, capacity providers, node groups and Fargate profiles inside them), "
                    "so no name is known at synth.",
                )
            )
        return found

    def _statements(self) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        self.unscoped_actions = {
            **UNSCOPED_READ_ACTIONS,
            **ECS_CLUSTER_CONDITIONED_ACTIONS,
            PUT_METRIC_DATA: PUT_METRIC_DATA_REASON,
        }
        self.arn_scoped_actions: list[tuple[str, tuple[str, ...]]] = []

        def arns(service: str, patterns: Mapping[str, tuple[str, ...]]) -> list[iam.PolicyStatement]:
            statements = []
            for resource_type, actions in patterns.items():
                arn = stack.format_arn(service=service, resource=resource_type, resource_name="*")
                self.arn_scoped_actions.append((arn, actions))
                statements.append(
                    iam.PolicyStatement(
                        sid=f"Read{service.capitalize()}{_sid(resource_type)}", actions=list(actions), resources=[arn]
                    )
                )
            return statements

        return [
            iam.PolicyStatement(sid="ReadWithoutResourceTypes", actions=list(UNSCOPED_READ_ACTIONS), resources=["*"]),
            iam.PolicyStatement(
                sid="ListEcsServicesAndTasksInOwnClusters",
                actions=list(ECS_CLUSTER_CONDITIONED_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnLike": {"ecs:cluster": stack.format_arn(service="ecs", resource="cluster", resource_name="*")}
                },
            ),
            *arns("ecs", ECS_SCOPED_ACTIONS),
            *arns("eks", EKS_SCOPED_ACTIONS),
            put_metric_data_statement(),
            write_log_group_statement(self.log_group),
        ]


def _sid(resource_type: str) -> str:
    return "".join(part.capitalize() for part in resource_type.split("-")) + "s"
