"""The capacity model end to end on moto: headroom at max, /28 fragmentation, consumers, forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from botocore.exceptions import ClientError

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.capacity import CniSettings
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.models import SubnetReport
from subnet_monitor.scan import run_scan
from tests.moto_estate import ROLE_ARN, Vpc


def scan(clients: AwsClients, config: ScanConfig | None = None, publish: bool = False) -> dict[str, SubnetReport]:
    outcome = run_scan(clients, config or ScanConfig(), publish=publish)
    assert outcome.errors == []
    return {report.subnet_id: report for report in outcome.reports}


def stored(aws: boto3.Session, metric: str, subnet_id: str) -> list[float]:
    now = datetime.now(UTC)
    return aws.client("cloudwatch").get_metric_statistics(
        Namespace="Custom/VPC",
        MetricName=metric,
        Dimensions=[{"Name": "SubnetId", "Value": subnet_id}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Minimum"],
    )["Datapoints"]


def test_a_node_group_that_cannot_reach_its_maximum(aws: boto3.Session, clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a node group of up to 20 m5.large in one /26 (59 usable), secondary-IP mode (the default)
    nodes = vpc.subnet(prefix=26)
    vpc.eks_cluster("platform", [vpc.subnet(prefix=24)])
    vpc.eks.create_nodegroup(
        clusterName="platform",
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[nodes],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": 20, "desiredSize": 0},
    )

    # WHEN scanned and published
    report = scan(clients, ScanConfig(metrics="detailed"), publish=True)[nodes]

    # THEN a full m5.large takes 3 ENIs x 10 addresses = 30 (27 pods need all 27 secondary slots; the
    # warm ENI would be a 4th, over the limit), so 20 nodes need 600 and the headroom is 59 - 600
    assert (report.capacity.ips_needed_at_max, report.scale_headroom) == (600, -541)
    assert stored(aws, "ScaleHeadroom", nodes)[0]["Minimum"] == -541
    [finding] = report.capacity.findings
    assert "node group platform/general needs 600 addresses at maxSize 20 (30 a node, secondary IPs)" in finding.message
    assert "short by 541" in finding.message
    assert (finding.code, finding.subject) == ("headroom.short-at-max", nodes)
    # AND the workload carries its instance types and max pods per node in both modes; eni-max-pods.txt
    # (awslabs/amazon-eks-ami) gives m5.large 29, and prefix delegation caps it at 110 (< 30 vCPUs)
    [workload] = report.to_dict()["workloads"]
    assert workload["instance_types"] == ["m5.large"]
    assert workload["max_pods_per_node"] == {"m5.large": {"secondary_ip": 29, "prefix": 110}}


def test_a_prefix_subnet_with_free_addresses_but_no_free_28(aws: boto3.Session, clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a prefix-delegation cluster whose node subnet (a /26: four /28 blocks, the first and last
    # holding AWS's reserved addresses) has one address taken in each of the two middle blocks
    nodes = vpc.subnet(prefix=26)
    base = vpc.ec2.describe_subnets(SubnetIds=[nodes])["Subnets"][0]["CidrBlock"].split("/")[0]
    prefix = base.rsplit(".", 1)[0]
    first = int(base.rsplit(".", 1)[1])
    for offset in (24, 40):  # inside 16-31 and 32-47
        vpc.ec2.create_network_interface(SubnetId=nodes, PrivateIpAddress=f"{prefix}.{first + offset}")
    vpc.eks_cluster("platform", [vpc.subnet()])
    vpc.eks.create_nodegroup(
        clusterName="platform",
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[nodes],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0},
    )

    # WHEN scanned with the cluster in prefix mode
    config = ScanConfig(cni={"platform": CniSettings(prefix_delegation=True)}, metrics="detailed")
    report = scan(clients, config, publish=True)[nodes]

    # THEN no /28 is free although 57 addresses are, and the finding says so with the fix
    assert report.available_ips == 57
    assert report.capacity.free_prefix_blocks == 0
    assert stored(aws, "FreePrefixBlocks", nodes)[0]["Minimum"] == 0
    sentences = [f.sentence() for f in report.capacity.findings]
    assert any("57 addresses are free but no aligned /28 is" in f for f in sentences)
    assert any("create-subnet-cidr-reservation --reservation-type prefix" in f for f in sentences)


def test_no_prefix_figure_where_prefixes_are_not_handed_out(clients: AwsClients, vpc: Vpc) -> None:
    subnet = vpc.subnet()
    report = scan(clients, ScanConfig(subnet_ids=(subnet,)))[subnet]
    assert report.capacity.free_prefix_blocks is None
    assert "free_prefix_blocks" not in report.to_dict()


def test_consumers_and_detached_interfaces(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a subnet with an instance, a Lambda ENI (in use) and a leftover ENI attached to nothing
    subnet = vpc.subnet()
    vpc.instance(subnet)
    vpc.ec2.create_network_interface(SubnetId=subnet, Description="leftover", SecondaryPrivateIpAddressCount=3)

    # WHEN scanned
    report = scan(clients, ScanConfig(subnet_ids=(subnet,)))[subnet]

    # THEN every used address is accounted for, and the detached ones are a finding
    assert report.capacity.consumers == {"ec2_instance_primary": 1, "detached": 4}
    assert sum(report.capacity.consumers.values()) == report.used_ips
    assert any("4 addresses are held by detached network interfaces" in f.message for f in report.capacity.findings)


def test_service_maximum_from_application_auto_scaling(aws: boto3.Session, clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a service of 2 tasks that may scale to 10, over two subnets in two zones
    a, b = vpc.subnet(az="us-east-1a"), vpc.subnet(az="us-east-1b")
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [a, b])
    aws.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/payments/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=10,
    )

    # WHEN scanned
    reports = scan(clients)

    # THEN 10 tasks surge to 20 during a rolling deployment (maximumPercent 200), spread over both zones
    assert (reports[a].capacity.ips_needed_at_max, reports[b].capacity.ips_needed_at_max) == (10, 10)


def test_fargate_profile_maximum_from_config(clients: AwsClients, vpc: Vpc) -> None:
    pods = vpc.subnet()
    vpc.eks_cluster("platform", [vpc.subnet()])
    vpc.eks.create_fargate_profile(
        clusterName="platform",
        fargateProfileName="serverless",
        podExecutionRoleArn=ROLE_ARN,
        subnets=[pods],
        selectors=[{"namespace": "serverless"}],
    )
    assert scan(clients)[pods].capacity.ips_needed_at_max == 0  # no maximum: stays where it is
    config = ScanConfig(fargate_max_pods={"platform/serverless": 40})
    assert scan(clients, config)[pods].capacity.ips_needed_at_max == 40


def test_control_plane_subnet_below_what_eks_asks_for(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN cluster subnets: a /28 with 11 free, and one with 4 free
    roomy, tight = vpc.subnet(prefix=28), vpc.subnet(prefix=28)
    vpc.consume(tight, 7)
    vpc.eks_cluster("platform", [roomy, tight])

    reports = scan(clients)

    # THEN both are below the 16 EKS recommends, the tight one below what an upgrade needs (5)
    assert "below the 16 EKS recommends" in reports[roomy].capacity.findings[0].message
    tight_messages = [f.message for f in reports[tight].capacity.findings]
    assert any("below the 5 a control-plane version update needs" in m for m in tight_messages)


def test_forecast_from_the_history_earlier_scans_published(aws: boto3.Session, clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a /24 (251 usable) now at 100 used, after earlier scans saw it rise 10 an hour for 3 hours,
    # and a flat one
    rising, flat = vpc.subnet(), vpc.subnet()
    vpc.consume(rising, 100)
    vpc.consume(flat, 100)
    now = datetime.now(UTC)
    cloudwatch = aws.client("cloudwatch")
    for subnet, per_hour in ((rising, 10), (flat, 0)):
        cloudwatch.put_metric_data(
            Namespace="Custom/VPC",
            MetricData=[
                {
                    "MetricName": "AvailableIPCount",
                    "Dimensions": [{"Name": "SubnetId", "Value": subnet}],
                    "Timestamp": now - timedelta(minutes=5 * step),
                    "Value": 151 + per_hour * 5 * step / 60,
                    "Unit": "Count",
                }
                for step in range(36, 0, -1)
            ],
        )

    # WHEN scanned with a 24-hour horizon
    config = ScanConfig(subnet_ids=(rising, flat), exhaustion_horizon_hours=24, metrics="detailed")
    reports = scan(clients, config, publish=True)

    # THEN the rising one runs out in 151 / 10 = 15.1 hours, published and a finding; the flat one has none
    assert abs(reports[rising].capacity.hours_to_exhaustion - 15.1) < 0.5
    assert abs(stored(aws, "HoursToExhaustion", rising)[0]["Minimum"] - 15.1) < 0.5
    assert any("fills up in about 15 h" in f.message for f in reports[rising].capacity.findings)
    assert reports[flat].capacity.hours_to_exhaustion is None
    assert "hours_to_exhaustion" not in reports[flat].to_dict()
    assert stored(aws, "HoursToExhaustion", flat) == []


def test_an_unknown_instance_type_costs_only_its_own_node_group(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN two node groups in their own subnets: one of m5.large, one of m5.large and a type the
    # region does not know (DescribeInstanceTypes fails a whole call on one such name)
    good, mixed = vpc.subnet(), vpc.subnet()
    vpc.eks_cluster("platform", [vpc.subnet()])
    for name, subnet, types in (("general", good, ["m5.large"]), ("odd", mixed, ["m5.large", "x9.mega"])):
        vpc.eks.create_nodegroup(
            clusterName="platform",
            nodegroupName=name,
            nodeRole=ROLE_ARN,
            subnets=[subnet],
            instanceTypes=types,
            scalingConfig={"minSize": 0, "maxSize": 2, "desiredSize": 0},
        )

    # WHEN scanned
    reports = scan(clients)

    # THEN the good group keeps its headroom (2 nodes x 30 addresses) and no finding about types
    assert reports[good].capacity.ips_needed_at_max == 60
    assert not [f for f in reports[good].capacity.findings if f.code == "headroom.unknown-instance-type"]
    # AND the other group's finding names its unknown type alone; m5.large keeps its max pods there
    [finding] = [f for f in reports[mixed].capacity.findings if f.code == "headroom.unknown-instance-type"]
    assert "instance type(s) x9.mega unknown to DescribeInstanceTypes" in finding.message
    [workload] = reports[mixed].to_dict()["workloads"]
    assert workload["max_pods_per_node"] == {"m5.large": {"secondary_ip": 29, "prefix": 110}}


def _launch_template_node_group(vpc: Vpc, subnet: str, template_data: dict[str, str]) -> str:
    """A node group deployed with a launch template, as eksctl and Terraform make them; returns the
    template's ID. moto fills ``instanceTypes`` with t3.medium where EKS returns null for such a node
    group ("If the node group was deployed with a launch template, then this is null", EKS API
    Reference, API_Nodegroup.html), so the documented null is put back on DescribeNodegroup."""
    template = vpc.ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData=template_data)
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    vpc.eks_cluster("platform", [vpc.subnet()])
    vpc.eks.create_nodegroup(
        clusterName="platform",
        nodegroupName="templated",
        nodeRole=ROLE_ARN,
        subnets=[subnet],
        launchTemplate={"id": template_id, "version": "1"},
        scalingConfig={"minSize": 0, "maxSize": 2, "desiredSize": 0},
    )
    return template_id


def _as_eks_returns_it(clients: AwsClients) -> None:
    def drop_instance_types(parsed: dict, **_: object) -> None:
        if parsed.get("nodegroup", {}).get("launchTemplate"):
            parsed["nodegroup"]["instanceTypes"] = None

    clients.eks.meta.events.register("after-call.eks.DescribeNodegroup", drop_instance_types)


def test_a_node_group_with_its_instance_type_in_a_launch_template(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a node group whose instance type (m5.large) is set in its launch template, instanceTypes null
    nodes = vpc.subnet()
    _launch_template_node_group(vpc, nodes, {"InstanceType": "m5.large"})
    _as_eks_returns_it(clients)

    # WHEN scanned
    report = scan(clients)[nodes]

    # THEN its headroom is modelled with the template's type: 2 nodes x 30 addresses, no finding about it
    assert report.capacity.ips_needed_at_max == 60
    assert not [f for f in report.capacity.findings if f.code.startswith("headroom.")]
    [workload] = report.to_dict()["workloads"]
    assert workload["instance_types"] == ["m5.large"]


def test_a_launch_template_with_its_own_ami_says_max_pods_is_assumed(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN the same node group, its launch template also setting an AMI (whose user data sets maxPods)
    nodes = vpc.subnet()
    _launch_template_node_group(vpc, nodes, {"InstanceType": "m5.large", "ImageId": "ami-12345678"})
    _as_eks_returns_it(clients)

    # WHEN scanned
    report = scan(clients)[nodes]

    # THEN headroom is modelled at the managed default, and an info finding says that is assumed
    assert report.capacity.ips_needed_at_max == 60
    [finding] = [f for f in report.capacity.findings if f.code == "headroom.max-pods-assumed"]
    assert "runs its own AMI (ami-12345678, launch template lt-" in finding.message
    assert finding.severity == "info"


def test_an_unreadable_launch_template_leaves_no_headroom_and_says_so(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN the launch-template node group, and DescribeLaunchTemplateVersions refused
    nodes = vpc.subnet()
    template_id = _launch_template_node_group(vpc, nodes, {"InstanceType": "m5.large"})
    _as_eks_returns_it(clients)

    def refuse(**_: object) -> None:
        error = {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}
        raise ClientError(error, "DescribeLaunchTemplateVersions")

    clients.ec2.meta.events.register("before-call.ec2.DescribeLaunchTemplateVersions", refuse)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)
    report = next(r for r in outcome.reports if r.subnet_id == nodes)

    # THEN the read failure is an error of the scan, the node group has no headroom figure, and the
    # finding says why (not that an instance type is unknown)
    assert [e.target for e in outcome.errors] == [f"DescribeLaunchTemplateVersions {template_id} version 1"]
    assert report.capacity.ips_needed_at_max is None
    [finding] = [f for f in report.capacity.findings if f.code.startswith("headroom.")]
    assert finding.code == "headroom.launch-template-unreadable"
    assert f"launch template {template_id} version 1, which could not be read" in finding.message
