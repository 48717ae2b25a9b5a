"""The ready-to-paste commands of each ``fix`` step: AWS CLI, CDK (Python) and Terraform. Pure: it
writes text, it runs nothing.

The CLI lines of one plan are one shell session: a ``create-subnet`` stores the new subnet's ID in a
variable (``SUBNET_1``…) that the later steps use, so they paste in order. CDK and Terraform name
the new subnet by the same handle (``subnet_monitor_fix_1``…) and values the monitor cannot know (a
security group, a node role) as ``<placeholders>`` with the CLI call that reads them.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from subnet_monitor.core.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_CONTAINER_INSTANCES,
    KIND_ECS_SERVICE,
    KIND_ECS_TASK,
    KIND_EKS_AUTO_MODE,
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    KIND_EKS_SELF_MANAGED_NODES,
    KIND_EKS_TAGGED_SUBNET,
    Workload,
)

# Sources of how each workload takes new subnets.
ECS_UPDATE_SERVICE_URL = "https://docs.aws.amazon.com/cli/latest/reference/ecs/update-service.html"
ASG_UPDATE_URL = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html"
# UpdateNodegroupConfig takes no subnets: a managed node group keeps the subnets it was created with.
NODEGROUP_UPDATE_URL = "https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html"
# "Fargate profiles are immutable" (no update call): a new profile replaces the old one.
FARGATE_PROFILE_URL = "https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html"
# UpdateClusterConfig: "You must specify at least two subnets that are in different Availability Zones".
EKS_UPDATE_CLUSTER_CONFIG_URL = "https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateClusterConfig.html"
EKS_NETWORK_REQS_URL = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
CUSTOM_NETWORKING_URL = "https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html"
KARPENTER_NODECLASS_URL = "https://karpenter.sh/docs/concepts/nodeclasses/"
AUTO_MODE_NODECLASS_URL = "https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html"
CREATE_SUBNET_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/create-subnets.html"
DELETE_ENI_URL = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/delete_eni.html"

NAME_TAG = "Name"


@dataclass(frozen=True)
class Commands:
    """One step as AWS CLI lines, a CDK (Python) snippet and a Terraform snippet; ``None`` where the
    step is an operation, not infrastructure (deleting leaked network interfaces)."""

    aws_cli: str
    cdk: str | None = None
    terraform: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"aws_cli": self.aws_cli, "cdk": self.cdk, "terraform": self.terraform}


def _q(value: str) -> str:
    return shlex.quote(value)


def handle(index: int) -> str:
    """The shell variable (and CDK/Terraform name) of a plan's ``index``-th new subnet."""
    return f"SUBNET_{index}"


def _tf_name(index: int) -> str:
    return f"subnet_monitor_fix_{index}"


def create_subnet(
    index: int,
    *,
    vpc_id: str,
    zone: str,
    cidr: str,
    tags: Mapping[str, str],
    like_subnet: str,
) -> Commands:
    """A new subnet with the tags of the subnet it relieves (its role and discovery tags: load
    balancer, ``karpenter.sh/discovery``…) and the same route table."""
    var = handle(index)
    tag_list = ",".join(f"{{Key={k},Value={v}}}" for k, v in tags.items())
    cli = (
        f"{var}=$(aws ec2 create-subnet --vpc-id {_q(vpc_id)} --availability-zone {_q(zone)} "
        f"--cidr-block {cidr} --tag-specifications {_q(f'ResourceType=subnet,Tags=[{tag_list}]')} "
        "--query Subnet.SubnetId --output text)\n"
        f"RTB_{index}=$(aws ec2 describe-route-tables --filters Name=association.subnet-id,Values={_q(like_subnet)} "
        "--query 'RouteTables[0].RouteTableId' --output text)\n"
        f'[ "$RTB_{index}" != None ] && aws ec2 associate-route-table --route-table-id "$RTB_{index}" '
        f'--subnet-id "${var}"  # else the VPC main route table applies, as it does to {like_subnet}'
    )
    cdk_tags = ", ".join(f"CfnTag(key={json.dumps(k)}, value={json.dumps(v)})" for k, v in tags.items())
    cdk = (
        "from aws_cdk import CfnTag, aws_ec2 as ec2\n\n"
        f"{var.lower()} = ec2.CfnSubnet(\n"
        f'    self, "SubnetMonitorFix{index}", vpc_id={json.dumps(vpc_id)},\n'
        f"    availability_zone={json.dumps(zone)}, cidr_block={json.dumps(cidr)},\n"
        f"    tags=[{cdk_tags}],\n"
        ")\n"
        f'ec2.CfnSubnetRouteTableAssociation(self, "SubnetMonitorFix{index}Routes", subnet_id={var.lower()}.ref,\n'
        f'    route_table_id="<route table of {like_subnet}>")'
    )
    tf_tags = "\n".join(f"    {json.dumps(k)} = {json.dumps(v)}" for k, v in tags.items())
    terraform = (
        f'resource "aws_subnet" "{_tf_name(index)}" {{\n'
        f"  vpc_id            = {json.dumps(vpc_id)}\n"
        f"  availability_zone = {json.dumps(zone)}\n"
        f"  cidr_block        = {json.dumps(cidr)}\n"
        f"  tags = {{\n{tf_tags}\n  }}\n"
        "}\n\n"
        f'resource "aws_route_table_association" "{_tf_name(index)}" {{\n'
        f"  subnet_id      = aws_subnet.{_tf_name(index)}.id\n"
        f'  route_table_id = "<route table of {like_subnet}>"\n'
        "}"
    )
    return Commands(cli, cdk, terraform)


def associate_vpc_cidr(vpc_id: str, cidr: str) -> Commands:
    name = "subnet_monitor_secondary_" + cidr.replace(".", "_").replace("/", "_")
    return Commands(
        aws_cli=f"aws ec2 associate-vpc-cidr-block --vpc-id {_q(vpc_id)} --cidr-block {cidr}",
        cdk=(
            "from aws_cdk import aws_ec2 as ec2\n\n"
            f'ec2.CfnVPCCidrBlock(self, "SubnetMonitorSecondaryCidr", vpc_id={json.dumps(vpc_id)}, '
            f"cidr_block={json.dumps(cidr)})"
        ),
        terraform=(
            f'resource "aws_vpc_ipv4_cidr_block_association" "{name}" {{\n'
            f"  vpc_id     = {json.dumps(vpc_id)}\n"
            f"  cidr_block = {json.dumps(cidr)}\n"
            "}"
        ),
    )


def custom_networking(cluster: str, zones: Sequence[tuple[str, str]]) -> Commands:
    """VPC CNI custom networking: pods take their addresses from the subnet of their zone's
    ENIConfig (named after the zone, picked by the node's zone label); ``zones`` pairs each zone
    with the shell variable or ID of its pod subnet."""
    configs = "\n---\n".join(
        "apiVersion: crd.k8s.amazonaws.com/v1alpha1\nkind: ENIConfig\n"
        f"metadata:\n  name: {zone}\nspec:\n  subnet: {subnet}\n"
        "  securityGroups:\n    - <cluster security group: aws eks describe-cluster --name "
        f"{cluster} --query cluster.resourcesVpcConfig.clusterSecurityGroupId>"
        for zone, subnet in zones
    )
    cli = (
        f"aws eks update-kubeconfig --name {_q(cluster)}\n"
        "kubectl set env daemonset aws-node -n kube-system AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true\n"
        "kubectl set env daemonset aws-node -n kube-system ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone\n"
        f"kubectl apply -f - <<EOF\n{configs}\nEOF\n"
        "# then replace the nodes (a new node group, or a rolling replacement): only nodes started after "
        "this take pod addresses from the ENIConfig subnets"
    )
    return Commands(
        aws_cli=cli,
        cdk=(
            "# the aws-node settings (add-on configuration values) and one ENIConfig per zone:\n"
            'cluster.add_manifest("ENIConfigs", *[{"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", '
            '"kind": "ENIConfig", "metadata": {"name": zone}, "spec": {"subnet": subnet_id, '
            '"securityGroups": [cluster.cluster_security_group_id]}} for zone, subnet_id in pod_subnets.items()])\n'
            'eks.CfnAddon(self, "VpcCni", cluster_name=cluster.cluster_name, addon_name="vpc-cni",\n'
            '    configuration_values=json.dumps({"env": {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",\n'
            '        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone"}}))'
        ),
        terraform=(
            'resource "aws_eks_addon" "vpc_cni" {\n'
            f"  cluster_name = {json.dumps(cluster)}\n"
            '  addon_name   = "vpc-cni"\n'
            "  configuration_values = jsonencode({ env = {\n"
            '    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG = "true"\n'
            '    ENI_CONFIG_LABEL_DEF               = "topology.kubernetes.io/zone"\n'
            "  } })\n"
            "}\n"
            "# one ENIConfig per zone (kubernetes_manifest), spec.subnet = the zone's pod subnet"
        ),
    )


def prefix_reservation(subnet_id: str, cidr: str) -> Commands:
    return Commands(
        aws_cli=(
            f"aws ec2 create-subnet-cidr-reservation --subnet-id {_q(subnet_id)} --cidr {cidr} "
            "--reservation-type prefix"
        ),
        # AWS::EC2::SubnetCidrReservation (CDK ec2.CfnSubnetCidrReservation):
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-subnetcidrreservation.html
        cdk=(
            "from aws_cdk import aws_ec2 as ec2\n\n"
            'ec2.CfnSubnetCidrReservation(self, "SubnetMonitorPrefixReservation",\n'
            f'    subnet_id={json.dumps(subnet_id)}, cidr={json.dumps(cidr)}, reservation_type="prefix")'
        ),
        terraform=(
            'resource "aws_ec2_subnet_cidr_reservation" "subnet_monitor_prefix" {\n'
            f"  subnet_id        = {json.dumps(subnet_id)}\n"
            f"  cidr_block       = {json.dumps(cidr)}\n"
            '  reservation_type = "prefix"\n'
            "}"
        ),
    )


def delete_enis(eni_ids: Sequence[str]) -> Commands:
    lines = [f"aws ec2 delete-network-interface --network-interface-id {_q(eni)}" for eni in eni_ids]
    return Commands(aws_cli="\n".join(lines))


def _subnet_list(subnets: Sequence[str]) -> list[str]:
    """Subnet IDs, and ``$SUBNET_n`` variables for the new ones, as the CLI takes them."""
    return [s if s.startswith("subnet-") else f'"${s}"' for s in subnets]


def _cdk_subnets(subnets: Sequence[str]) -> str:
    items = ", ".join(
        f'ec2.Subnet.from_subnet_id(self, "S{i}", {json.dumps(s) if s.startswith("subnet-") else s.lower() + ".ref"})'
        for i, s in enumerate(subnets)
    )
    return f"ec2.SubnetSelection(subnets=[{items}])"


def _tf_subnets(subnets: Sequence[str]) -> str:
    return (
        "["
        + ", ".join(
            json.dumps(s) if s.startswith("subnet-") else f"aws_subnet.subnet_monitor_fix_{s.split('_')[-1]}.id"
            for s in subnets
        )
        + "]"
    )


def update_workload(workload: Workload, subnets: Sequence[str]) -> tuple[Commands, str, str]:
    """How ``workload`` takes ``subnets`` (its current ones and the new ones, as IDs or
    ``SUBNET_n`` handles): the commands, one sentence saying how, and the AWS source."""
    kind, cluster, name = workload.kind, workload.cluster, workload.name
    cli_list = _subnet_list(subnets)
    joined = ",".join(cli_list)
    if kind == KIND_ECS_SERVICE:
        cli = (
            f"SGS=$(aws ecs describe-services --cluster {_q(cluster)} --services {_q(name)} --query "
            "'services[0].networkConfiguration.awsvpcConfiguration.securityGroups' --output text | tr '\\t' ',')\n"
            f"aws ecs update-service --cluster {_q(cluster)} --service {_q(name)} --network-configuration "
            f'"awsvpcConfiguration={{subnets=[{joined}],securityGroups=[$SGS]}}"'
        )
        return (
            Commands(
                cli,
                "# the service's construct (ecs.FargateService / ecs.Ec2Service):\n"
                f"vpc_subnets={_cdk_subnets(subnets)}",
                f'# resource "aws_ecs_service" "{name}":\n'
                f"network_configuration {{\n  subnets = {_tf_subnets(subnets)}\n}}",
            ),
            "update the service's network configuration with the new subnets (a new deployment places tasks "
            "across them; the whole awsvpcConfiguration is replaced, so the security groups are read back first)",
            ECS_UPDATE_SERVICE_URL,
        )
    if kind == KIND_ECS_TASK:
        return (
            Commands(
                f"aws ecs run-task --cluster {_q(cluster)} --task-definition <family:revision> --network-configuration "
                f'"awsvpcConfiguration={{subnets=[{joined}],securityGroups=[<security groups>]}}"'
            ),
            "start the next standalone tasks with the new subnets in their network configuration",
            "https://docs.aws.amazon.com/cli/latest/reference/ecs/run-task.html",
        )
    if kind in (KIND_ECS_CAPACITY_PROVIDER, KIND_ECS_CONTAINER_INSTANCES, KIND_EKS_SELF_MANAGED_NODES):
        if kind == KIND_ECS_CAPACITY_PROVIDER:
            lookup = (
                f"ASG=$(aws ecs describe-capacity-providers --capacity-providers {_q(name)} --query "
                "'capacityProviders[0].autoScalingGroupProvider.autoScalingGroupArn' --output text | "
                "sed 's|.*autoScalingGroupName/||')\n"
            )
            note = (
                " (an ECS Managed Instances capacity provider takes them with aws ecs update-capacity-provider "
                "--managed-instances-provider, instanceLaunchTemplate.networkConfiguration.subnets)"
            )
        elif kind == KIND_EKS_SELF_MANAGED_NODES:
            lookup, note = f"ASG={_q(name)}\n", ""
        else:
            lookup, note = "ASG=<Auto Scaling group of the container instances>\n", ""
        return (
            Commands(
                lookup + f'aws autoscaling update-auto-scaling-group --auto-scaling-group-name "$ASG" '
                f"--vpc-zone-identifier {joined}",
                f"# the autoscaling.AutoScalingGroup:\nvpc_subnets={_cdk_subnets(subnets)}",
                f'# resource "aws_autoscaling_group":\nvpc_zone_identifier = {_tf_subnets(subnets)}',
            ),
            "add the new subnets to the Auto Scaling group: instances launched from then on can use them" + note,
            ASG_UPDATE_URL,
        )
    if kind == KIND_EKS_NODEGROUP:
        new = f"{name}-2"
        cli = (
            f"aws eks describe-nodegroup --cluster-name {_q(cluster)} --nodegroup-name {_q(name)} --query "
            "'nodegroup.{role:nodeRole,types:instanceTypes,scaling:scalingConfig,labels:labels,lt:launchTemplate}'\n"
            f"aws eks create-nodegroup --cluster-name {_q(cluster)} --nodegroup-name {_q(new)} "
            f"--subnets {' '.join(cli_list)} --node-role <nodeRole above> --instance-types <instanceTypes above> "
            "--scaling-config minSize=<>,maxSize=<>,desiredSize=<>\n"
            f"# when the new node group is ready, move the pods: EKS drains the nodes of a deleted node group\n"
            f"aws eks delete-nodegroup --cluster-name {_q(cluster)} --nodegroup-name {_q(name)}"
        )
        return (
            Commands(
                cli,
                f'cluster.add_nodegroup_capacity("{new}", subnets={_cdk_subnets(subnets)}, ...)',
                f'resource "aws_eks_node_group" "{new}" {{\n  cluster_name    = {json.dumps(cluster)}\n'
                f"  node_group_name = {json.dumps(new)}\n  subnet_ids      = {_tf_subnets(subnets)}\n  # ...\n}}",
            ),
            "a managed node group keeps the subnets it was created with (UpdateNodegroupConfig takes none): "
            "create a new node group over the new subnets, then delete the old one",
            NODEGROUP_UPDATE_URL,
        )
    if kind == KIND_EKS_FARGATE_PROFILE:
        new = f"{name}-2"
        cli = (
            f"aws eks describe-fargate-profile --cluster-name {_q(cluster)} --fargate-profile-name {_q(name)} "
            "--query 'fargateProfile.{role:podExecutionRoleArn,selectors:selectors}'\n"
            f"aws eks create-fargate-profile --cluster-name {_q(cluster)} --fargate-profile-name {_q(new)} "
            f"--subnets {' '.join(cli_list)} --pod-execution-role-arn <role above> --selectors <selectors above>\n"
            f"aws eks delete-fargate-profile --cluster-name {_q(cluster)} --fargate-profile-name {_q(name)}"
        )
        return (
            Commands(
                cli,
                f'cluster.add_fargate_profile("{new}", selectors=[...], subnet_selection={_cdk_subnets(subnets)})',
                f'resource "aws_eks_fargate_profile" "{new}" {{\n  cluster_name = {json.dumps(cluster)}\n'
                f"  subnet_ids   = {_tf_subnets(subnets)}\n  # selector, pod_execution_role_arn as before\n}}",
            ),
            "a Fargate profile cannot be changed: create one with the same selectors over the new subnets, "
            "then delete the old one (running pods stay until replaced)",
            FARGATE_PROFILE_URL,
        )
    if kind == KIND_EKS_CLUSTER:
        return (
            Commands(
                f"aws eks update-cluster-config --name {_q(cluster)} --resources-vpc-config subnetIds={joined}",
                f"# eks.Cluster(vpc_subnets=[{_cdk_subnets(subnets)}])",
                f'# resource "aws_eks_cluster":\nvpc_config {{\n  subnet_ids = {_tf_subnets(subnets)}\n}}',
            ),
            "give the cluster subnets with room: at least two, in different Availability Zones, in its VPC; "
            "EKS needs at least 6 free addresses in each (16 recommended) and up to 5 during a version update",
            EKS_UPDATE_CLUSTER_CONFIG_URL,
        )
    if kind == KIND_EKS_AUTO_MODE:
        return (
            Commands(
                "# the new subnets carry the tags of the subnet they relieve; select them by tag:\n"
                "kubectl apply -f - <<EOF\napiVersion: eks.amazonaws.com/v1\nkind: NodeClass\n"
                "metadata:\n  name: <node class of node pool " + name + ">\nspec:\n  subnetSelectorTerms:\n"
                "    - tags:\n        <tag key>: <tag value>\nEOF"
            ),
            "EKS Auto Mode picks node subnets by the NodeClass's subnetSelectorTerms: tag the new subnets "
            "the way the terms select (they copy the relieved subnet's tags) or add a term for them",
            AUTO_MODE_NODECLASS_URL,
        )
    if kind == KIND_EKS_TAGGED_SUBNET:
        value = "1" if name == "kubernetes.io/role/cni" else cluster
        tags = " ".join(f'"${s}"' if not s.startswith("subnet-") else s for s in subnets)
        return (
            Commands(
                f"aws ec2 create-tags --resources {tags} --tags Key={name},Value={value}\n"
                "# Karpenter: the EC2NodeClass selects subnets by this tag\n"
                "#   spec:\n#     subnetSelectorTerms:\n"
                f"#       - tags:\n#           {name}: {value}"
            ),
            f"subnets tagged {name} are picked up by tag (Karpenter's EC2NodeClass subnetSelectorTerms, or "
            "the VPC CNI for kubernetes.io/role/cni): the new subnets carry the tag",
            KARPENTER_NODECLASS_URL if name != "kubernetes.io/role/cni" else CUSTOM_NETWORKING_URL,
        )
    return (
        Commands(f"# add {joined} to the subnets of {kind} {cluster}/{name}"),
        "add the new subnets where this workload lists its subnets",
        CREATE_SUBNET_URL,
    )


def eni_config(cluster: str, zone: str, subnet: str) -> Commands:
    """Point the zone's ENIConfig of a custom-networking cluster at a new pod subnet."""
    value = subnet if subnet.startswith("subnet-") else f"${subnet}"
    return Commands(
        aws_cli=(
            f"aws eks update-kubeconfig --name {_q(cluster)}\n"
            f"kubectl patch eniconfig {_q(zone)} --type merge -p "
            f'"{{\\"spec\\":{{\\"subnet\\":\\"{value}\\"}}}}"\n'
            "# nodes started from now on in this zone take pod addresses from the new subnet; replace the "
            "others to move their pods"
        ),
        cdk=f"# the ENIConfig manifest of {zone}: spec.subnet = the new subnet ({subnet})",
        terraform=f"# the ENIConfig kubernetes_manifest of {zone}: spec.subnet = the new subnet ({subnet})",
    )
