"""Each role discovered from moto resources, through the real pipeline."""

from __future__ import annotations

import json

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig, TagSelector
from subnet_monitor.core.models import SubnetReport
from subnet_monitor.scan import run_scan
from tests.moto_estate import ROLE_ARN, CallCounter, Vpc


def scan(clients: AwsClients, config: ScanConfig | None = None) -> dict[str, SubnetReport]:
    outcome = run_scan(clients, config or ScanConfig(), publish=False)
    assert outcome.errors == []
    return {report.subnet_id: report for report in outcome.reports}


def workloads(report: SubnetReport) -> set[tuple[str, str, str]]:
    return {(w.kind, w.cluster, w.name) for w in report.workloads}


def test_ecs_service_subnets_are_task_subnets(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN an awsvpc Fargate service over two subnets and an unrelated subnet
    a, b, unused = vpc.subnet(), vpc.subnet(), vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "checkout", [a, b])

    # WHEN the region is scanned
    reports = scan(clients)

    # THEN both service subnets are reported as ecs-task with the service behind them; the other is not
    assert set(reports) == {a, b}
    assert reports[a].roles == ("ecs-task",)
    assert workloads(reports[a]) == {("ecs-service", "payments", "checkout")}
    assert unused not in reports


def test_standalone_awsvpc_task_subnet_is_found(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a running standalone awsvpc task (not started by a service)
    subnet = vpc.subnet()
    vpc.ecs_cluster("batch")
    vpc.ecs.run_task(
        cluster="batch",
        taskDefinition="batch-app",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [vpc.security_group]}},
    )

    # WHEN scanned
    reports = scan(clients)

    # THEN its ENI's subnet is an ecs-task subnet, attributed to the task's group
    assert reports[subnet].roles == ("ecs-task",)
    assert workloads(reports[subnet]) == {("ecs-task", "batch", "family:batch-app")}


def test_capacity_provider_asg_and_container_instances_are_instance_subnets(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a cluster whose capacity provider's ASG spans two subnets, and a container instance in a third
    asg_a, asg_b, other = vpc.subnet(az="us-east-1a"), vpc.subnet(az="us-east-1b"), vpc.subnet()
    vpc.autoscaling.create_launch_configuration(
        LaunchConfigurationName="ecs-lc", ImageId="ami-12c6146b", InstanceType="m5.large"
    )
    vpc.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="payments-asg",
        LaunchConfigurationName="ecs-lc",
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=0,
        VPCZoneIdentifier=f"{asg_a},{asg_b}",
    )
    asg_arn = vpc.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["payments-asg"])["AutoScalingGroups"][
        0
    ]["AutoScalingGroupARN"]
    vpc.ecs.create_capacity_provider(name="payments-ec2", autoScalingGroupProvider={"autoScalingGroupArn": asg_arn})
    vpc.ecs_cluster("payments")
    vpc.ecs.put_cluster_capacity_providers(
        cluster="payments", capacityProviders=["payments-ec2", "FARGATE"], defaultCapacityProviderStrategy=[]
    )
    instance_id = vpc.instance(other)
    document = {"instanceId": instance_id, "region": "us-east-1", "accountId": "123456789012"}
    vpc.ecs.register_container_instance(cluster="payments", instanceIdentityDocument=json.dumps(document))

    # WHEN scanned
    reports = scan(clients)

    # THEN the ASG's subnets and the container instance's subnet are ecs-instance subnets
    assert set(reports) == {asg_a, asg_b, other}
    assert reports[asg_a].roles == ("ecs-instance",)
    assert workloads(reports[asg_b]) == {("ecs-capacity-provider", "payments", "payments-ec2")}
    assert workloads(reports[other]) == {("ecs-container-instances", "payments", "payments")}


def test_eks_control_plane_node_group_and_fargate_subnets(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN an EKS cluster with control-plane subnets, a node group and a Fargate profile
    cp_a, cp_b, nodes, pods = vpc.subnet(), vpc.subnet(), vpc.subnet(), vpc.subnet()
    vpc.eks_cluster("platform", [cp_a, cp_b])
    vpc.eks.create_nodegroup(
        clusterName="platform",
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[nodes, cp_b],
        scalingConfig={"minSize": 1, "maxSize": 10, "desiredSize": 2},
    )
    vpc.eks.create_fargate_profile(
        clusterName="platform",
        fargateProfileName="serverless",
        podExecutionRoleArn=ROLE_ARN,
        subnets=[pods],
        selectors=[{"namespace": "serverless"}],
    )

    # WHEN scanned
    reports = scan(clients)

    # THEN each subnet carries its roles; a subnet shared by the control plane and nodes carries both
    assert reports[cp_a].roles == ("eks-control-plane",)
    assert reports[cp_b].roles == ("eks-control-plane", "eks-node")
    assert workloads(reports[cp_b]) == {
        ("eks-cluster", "platform", "platform"),
        ("eks-nodegroup", "platform", "general"),
    }
    assert reports[nodes].roles == ("eks-node",)
    assert reports[pods].roles == ("eks-fargate",)
    assert workloads(reports[pods]) == {("eks-fargate-profile", "platform", "serverless")}


def test_self_managed_and_karpenter_nodes(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a cluster with a Karpenter node, a managed-node-group node, and a Karpenter discovery subnet
    cp, karpenter_nodes, managed_nodes = vpc.subnet(), vpc.subnet(), vpc.subnet()
    discovery = vpc.subnet(tags={"karpenter.sh/discovery": "platform"})
    vpc.eks_cluster("platform", [cp])
    vpc.instance(karpenter_nodes, {"kubernetes.io/cluster/platform": "owned", "karpenter.sh/nodepool": "default"})
    vpc.instance(managed_nodes, {"kubernetes.io/cluster/platform": "owned", "eks:nodegroup-name": "gone"})

    # WHEN scanned
    reports = scan(clients)

    # THEN the Karpenter node's subnet and the discovery-tagged subnet are eks-node subnets;
    # a managed node group's instance brings nothing the node group itself does not
    assert workloads(reports[karpenter_nodes]) == {("eks-self-managed-nodes", "platform", "karpenter:default")}
    assert workloads(reports[discovery]) == {("eks-tagged-subnet", "platform", "karpenter.sh/discovery")}
    assert managed_nodes not in reports


def test_explicit_ids_and_tag_selector(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN subnets used by nothing: one listed by ID, two tagged (one with a value not selected)
    listed = vpc.subnet()
    tagged = vpc.subnet(tags={"team": "data", "tier": "private"})
    wrong_value = vpc.subnet(tags={"team": "web", "tier": "private"})
    vpc.subnet()

    # WHEN scanned with the ID and the selector team in (data, ml) AND tier present
    config = ScanConfig(
        subnet_ids=(listed,), subnet_tags=(TagSelector("team", ("data", "ml")), TagSelector("tier", ()))
    )
    reports = scan(clients, config)

    # THEN exactly the listed and the matching subnets are reported, as explicit
    assert set(reports) == {listed, tagged}
    assert reports[tagged].roles == ("explicit",)
    assert wrong_value not in reports


def test_all_subnets_mode_reports_unused_subnets_too(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN subnets no cluster uses
    ours = {vpc.subnet(), vpc.subnet()}

    # WHEN scanned in all-subnets mode
    reports = scan(clients, ScanConfig(all_subnets=True))

    # THEN they are reported (with no role), beside moto's default-VPC subnets
    assert ours <= set(reports)
    assert all(reports[s].roles == () for s in ours)


def test_cluster_allow_list_limits_discovery(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN an ECS and an EKS cluster we want and one ECS cluster we do not
    wanted_ecs, wanted_eks, unwanted = vpc.subnet(), vpc.subnet(), vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [wanted_ecs])
    vpc.ecs_cluster("sandbox")
    vpc.ecs_service("sandbox", "toy", [unwanted])
    vpc.eks_cluster("platform", [wanted_eks])

    # WHEN scanned with an allow-list naming both wanted clusters (one per service)
    reports = scan(clients, ScanConfig(clusters=("payments", "platform")))

    # THEN only their subnets are reported, and neither name is an error on the other service
    assert set(reports) == {wanted_ecs, wanted_eks}


def test_measurement_matches_ec2(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a /26 (59 usable) with 54 addresses taken and a /28 (11 usable) with 3 taken
    big, small = vpc.subnet(prefix=26), vpc.subnet(prefix=28)
    vpc.consume(big, 54)
    vpc.consume(small, 3)

    # WHEN scanned with a minimum of 6 free addresses
    reports = scan(clients, ScanConfig(subnet_ids=(big, small), min_free_ips=6))

    # THEN usable, used, utilization and status follow the arithmetic
    assert (reports[big].usable_ips, reports[big].available_ips, reports[big].used_ips) == (59, 5, 54)
    assert reports[big].utilization_percent == 91.53
    assert reports[big].status == "CRITICAL"
    assert (reports[small].usable_ips, reports[small].used_ips, reports[small].utilization_percent) == (11, 3, 27.27)
    assert reports[small].status == "OK"


def test_ecs_clusters_share_the_scaling_and_capacity_provider_reads(
    clients: AwsClients, vpc: Vpc, counter: CallCounter
) -> None:
    # GIVEN three ECS clusters, each with a scaling service and a capacity provider over its own subnet
    vpc.autoscaling.create_launch_configuration(
        LaunchConfigurationName="ecs-lc", ImageId="ami-12c6146b", InstanceType="m5.large"
    )
    expected = {}
    for name in ("payments", "orders", "search"):
        tasks, instances = vpc.subnet(), vpc.subnet()
        vpc.ecs_cluster(name)
        vpc.ecs_service(name, "api", [tasks])
        clients.application_autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{name}/api",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=len(name),
        )
        vpc.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"{name}-asg",
            LaunchConfigurationName="ecs-lc",
            MinSize=0,
            MaxSize=4,
            DesiredCapacity=0,
            VPCZoneIdentifier=instances,
        )
        [group] = vpc.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{name}-asg"])[
            "AutoScalingGroups"
        ]
        vpc.ecs.create_capacity_provider(
            name=f"{name}-ec2", autoScalingGroupProvider={"autoScalingGroupArn": group["AutoScalingGroupARN"]}
        )
        vpc.ecs.put_cluster_capacity_providers(
            cluster=name, capacityProviders=[f"{name}-ec2"], defaultCapacityProviderStrategy=[]
        )
        expected[name] = (tasks, instances)

    # WHEN scanned
    reports = scan(clients)

    # THEN each service's maximum and each provider's group land with their own cluster ...
    for name, (tasks, instances) in expected.items():
        assert workloads(reports[instances]) == {("ecs-capacity-provider", name, f"{name}-ec2")}
        # a rolling deployment of the maximum (len(name) tasks) surges to twice that
        assert reports[tasks].capacity.ips_needed_at_max == 2 * len(name)
    # ... read once for all three clusters, not once per cluster
    assert counter.calls["application-auto-scaling.DescribeScalableTargets"] == 1
    assert counter.calls["ecs.DescribeCapacityProviders"] == 1
    assert counter.calls["auto-scaling.DescribeAutoScalingGroups"] == 1
