"""Real-shaped failure events, and near misses, for the failure path's tests and the demo.

Every envelope and field name below comes from a published sample; the texts that say *why* a call
failed are quoted from real events and logs. The builders take the subnet, cluster and names, so the
same shapes run against moto's estate. Sources:

[ECS-TASK]   Amazon ECS developer guide, "Amazon ECS task state change events", the Fargate example
             (attachments[type=eni].details[name=subnetId], group, stopCode, stoppedReason):
             https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
[ECS-ENI]    stoppedReason "Unexpected EC2 error while attempting to Create Network Interface in subnet
             '<subnet>': InsufficientFreeAddressesInSubnet": the form in issue 5, and a public ECS
             test fixture of a FARGATE task with stopCode TaskFailedToStart and exactly this reason
             (there with subnet ''; see ``ecs_task_stopped(reason_subnet="")``).
[ECS-ERRORS] Amazon ECS user guide, "Stopped tasks error codes" (CannotPullContainerError,
             ResourceInitializationError: unable to pull secrets or registry auth):
             https://docs.aws.amazon.com/AmazonECS/latest/userguide/stopped-task-error-codes.html
[ECS-SVC]    Amazon ECS developer guide, "Amazon ECS service action events": the
             SERVICE_TASK_PLACEMENT_FAILURE examples (RESOURCE:FARGATE, and for EC2 RESOURCE:CPU with
             containerInstanceArns); RESOURCE:ENI from "API failure reasons":
             https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
             https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
[ASG]        Amazon EC2 Auto Scaling user guide, "Event reference", unsuccessful scaling events
             (detail StatusCode, AutoScalingGroupName, ActivityId, Details{"Subnet ID",
             "Availability Zone"}, StatusMessage, Cause), as also fixtured in aws_lambda_events
             (example-autoscaling-event-launch-unsuccessful.json):
             https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
[ASG-IP]     A real launch failure: "There are not enough free addresses in subnet 'subnet-66d3dd2c' to
             satisfy the requested number of instances. Launching EC2 instance failed.", with its
             Cause/Description: https://github.com/PrairieLearn/PrairieLearn/issues/3271
[EC2-ICE]    "We currently do not have sufficient <type> capacity in the Availability Zone you
             requested (<az>). Our system will be working on provisioning additional capacity. …":
             https://github.com/commonwarexyz/monorepo/issues/2859 (and many others)
[EC2-VCPU]   "You have requested more vCPU capacity than your current vCPU limit of <n> allows for the
             instance bucket that the specified instance type belongs to. Please visit …" (VcpuLimitExceeded,
             also as an EKS AsgInstanceLaunchFailures health message in public test code).
[EC2-AUTH]   "You are not authorized to perform this operation. Encoded authorization failure message: …",
             an Auto Scaling "Launch Failed" quoted at https://gist.github.com/k-nishijima/1b0d8d5bf18a0ac1b7c5
[EKS]        EKS API reference, Issue {code, message, resourceIds}; NodegroupIssueCode
             InsufficientFreeAddresses ("One or more of the subnets associated with your managed node
             group does not have enough available IP addresses for new nodes."):
             https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html. A real cluster health
             issue (resourceIds = subnet IDs, message "One or more of the subnets associated with your
             cluster does not have enough available IP addresses for Amazon EKS to perform cluster
             management operations. …") is quoted in a public EKS IP-exhaustion lab.
[TRAIL]      CloudTrail record contents (userIdentity.sessionContext.sessionIssuer, eventSource,
             eventName, errorCode, errorMessage, requestParameters) delivered as "AWS API Call via
             CloudTrail": https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
             EC2 writes client errors as "Client.<Code>"; the messages: "The specified subnet does not
             have enough free addresses to satisfy the request."
             (https://github.com/aws/amazon-vpc-cni-k8s/issues/40) and "The specified subnet does not
             have enough free cidr blocks to satisfy the request" (EKS user guide, prefix delegation;
             VPC resource controller ErrInsufficientCidrBlocks).
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "111122223333"
REGION = "eu-west-1"
SUBNET_A = "subnet-0a1b2c3d4e5f60718"
SUBNET_B = "subnet-0f9e8d7c6b5a40312"
TIME = "2026-11-24T18:59:41Z"


def _envelope(source: str, detail_type: str, detail: dict[str, Any], resources: list[str], event_id: str) -> dict:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": TIME,
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def ecs_task_stopped(
    subnet_id: str = SUBNET_A,
    *,
    cluster: str = "payments",
    group: str = "service:checkout-web",
    reason: str | None = None,
    reason_subnet: str | None = None,
    last_status: str = "STOPPED",
    availability_zone: str = "eu-west-1a",
    event_id: str = "3317b2af-7005-947d-b652-f55e762e571a",
) -> dict[str, Any]:
    """[ECS-TASK] envelope, [ECS-ENI] reason: a Fargate task of a service that never got its ENI."""
    task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/c13b4cb40f1f4fe4a2971f76ae5a47ad"
    named = subnet_id if reason_subnet is None else reason_subnet
    stopped_reason = reason or (
        f"Unexpected EC2 error while attempting to Create Network Interface in subnet '{named}': "
        "InsufficientFreeAddressesInSubnet"
    )
    return _envelope(
        "aws.ecs",
        "ECS Task State Change",
        {
            # No networkInterfaceId: EC2 created none. The attachment still names the chosen subnet.
            "attachments": [
                {
                    "id": "1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8",
                    "type": "eni",
                    "status": "DELETED",
                    "details": [{"name": "subnetId", "value": subnet_id}],
                }
            ],
            "availabilityZone": availability_zone,
            "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
            "containers": [
                {
                    "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster}/c13b4cb4/fcb4-4f1c",
                    "lastStatus": "STOPPED",
                    "name": "web",
                    "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout-web:1.42.0",
                    "taskArn": task,
                    "cpu": "256",
                    "memory": "512",
                }
            ],
            "cpu": "256",
            "createdAt": "2026-11-24T18:59:27.841Z",
            "desiredStatus": "STOPPED",
            "group": group,
            "launchType": "FARGATE",
            "lastStatus": last_status,
            "memory": "512",
            "overrides": {"containerOverrides": [{"name": "web"}]},
            "platformVersion": "1.4.0",
            "stopCode": "TaskFailedToStart",
            "stoppedAt": "2026-11-24T18:59:41.083Z",
            "stoppedReason": stopped_reason,
            "stoppingAt": "2026-11-24T18:59:40.012Z",
            "taskArn": task,
            "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/checkout-web:42",
            "updatedAt": "2026-11-24T18:59:41.083Z",
            "version": 4,
        },
        [task],
        event_id,
    )


def ecs_placement_failure(
    reason: str = "RESOURCE:ENI",
    *,
    cluster: str = "payments",
    service: str = "ledger-api",
    event_id: str = "ddca6449-b258-46c0-8653-e0e3a6d0468b",
) -> dict[str, Any]:
    """[ECS-SVC]: the EC2 example (container instance named, reason RESOURCE:<resource>)."""
    return _envelope(
        "aws.ecs",
        "ECS Service Action",
        {
            "eventType": "ERROR",
            "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
            "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
            "containerInstanceArns": [
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{cluster}/2dd1b186f39845a584488d2ef155c131"
            ],
            "reason": reason,
            "createdAt": "2026-11-24T18:59:33.087Z",
        },
        [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{service}"],
        event_id,
    )


def asg_launch_unsuccessful(
    subnet_id: str = SUBNET_B,
    *,
    group: str = "payments-ecs-asg",
    message: str | None = None,
    availability_zone: str = "eu-west-1b",
    event_id: str = "12345678-1234-1234-1234-123456789012",
) -> dict[str, Any]:
    """[ASG] envelope, [ASG-IP] message and cause."""
    status = message or (
        f"There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of "
        "instances. Launching EC2 instance failed."
    )
    return _envelope(
        "aws.autoscaling",
        "EC2 Instance Launch Unsuccessful",
        {
            "StatusCode": "Failed",
            "Description": f"Launching a new EC2 instance.  Status Reason: {status}",
            "AutoScalingGroupName": group,
            "ActivityId": "87654321-4321-4321-4321-210987654321",
            "Details": {"Availability Zone": availability_zone, "Subnet ID": subnet_id},
            "RequestId": "87654321-4321-4321-4321-210987654321",
            "StatusMessage": status,
            "EndTime": "2026-11-24T18:59:39.000Z",
            "EC2InstanceId": "",
            "StartTime": "2026-11-24T18:59:39.085Z",
            "Cause": (
                "At 2026-11-24T18:59:30Z a user request update of AutoScalingGroup constraints to min: 1, max: 6, "
                "desired: 4 changing the desired capacity from 3 to 4.  At 2026-11-24T18:59:37Z an instance was "
                "started in response to a difference between desired and actual capacity, increasing the "
                "capacity from 3 to 4."
            ),
        },
        [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:0cd1e4b1-2e9c:autoScalingGroupName/{group}"],
        event_id,
    )


def eks_health_issue(
    subnet_ids: tuple[str, ...] = (SUBNET_A,),
    *,
    cluster: str = "platform",
    nodegroup: str | None = "general",
    code: str = "InsufficientFreeAddresses",
    message: str | None = None,
    event_id: str = "6f0f4c0e-5b1a-4a4e-9d59-1a5b2c3d4e5f",
) -> dict[str, Any]:
    """The scan's custom event (subnet_monitor.failures.health_events) for an [EKS] Issue, as
    EventBridge delivers a PutEvents entry."""
    detail: dict[str, Any] = {"clusterName": cluster}
    if nodegroup:
        detail["nodegroupName"] = nodegroup
    default_message = (
        "One or more of the subnets associated with your managed node group does not have enough available IP "
        "addresses for new nodes."
        if nodegroup
        else "One or more of the subnets associated with your cluster does not have enough available IP addresses "
        "for Amazon EKS to perform cluster management operations. Free up addresses in the subnet(s), or associate "
        "different subnets to your cluster using the Amazon EKS update-cluster-config API."
    )
    detail.update({"code": code, "message": message or default_message, "resourceIds": list(subnet_ids)})
    return _envelope("subnet-monitor", "EKS Health Issue", detail, [], event_id)


def cloudtrail_call_failed(
    call: str = "CreateNetworkInterface",
    *,
    error_code: str = "Client.InsufficientFreeAddressesInSubnet",
    error_message: str = "The specified subnet does not have enough free addresses to satisfy the request.",
    request: dict[str, Any] | None = None,
    event_id: str = "9a1c3b55-07c4-4b4b-bf0f-2c0f2b6a4e11",
) -> dict[str, Any]:
    """[TRAIL]: the VPC CNI (node role) failing to create or fill an ENI."""
    return _envelope(
        "aws.ec2",
        "AWS API Call via CloudTrail",
        {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEEXAMPLE:i-0b22a22eec53b9321",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-eks-node/i-0b22a22eec53b9321",
                "accountId": ACCOUNT,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLEEXAMPLE",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/platform-eks-node",
                        "accountId": ACCOUNT,
                        "userName": "platform-eks-node",
                    },
                    "attributes": {"creationDate": "2026-11-24T17:02:11Z", "mfaAuthenticated": "false"},
                },
            },
            "eventTime": TIME,
            "eventSource": "ec2.amazonaws.com",
            "eventName": call,
            "awsRegion": REGION,
            "sourceIPAddress": "10.0.24.17",
            "userAgent": "amazon-vpc-cni-k8s/v1.19.0 aws-sdk-go-v2/1.30.3",
            "errorCode": error_code,
            "errorMessage": error_message,
            "requestParameters": request
            if request is not None
            else {
                "subnetId": SUBNET_A,
                "description": "aws-K8S-i-0b22a22eec53b9321",
                "groupSet": {"items": [{"groupId": "sg-0123456789abcdef0"}]},
                "privateIpAddressesSet": {},
            },
            "responseElements": None,
            "requestID": "1f0c3e2a-8b6d-4f5e-9a7b-3c2d1e0f9a8b",
            "eventID": "0b5e8f3d-6c1a-4e2b-9d7f-8a6b5c4d3e2f",
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        },
        [],
        event_id,
    )


def assign_prefix_failed(interface_id: str = "eni-0c9d8e7f6a5b43210") -> dict[str, Any]:
    """[TRAIL]: prefix delegation asking for a /28 in a fragmented subnet; the call names the ENI only."""
    return cloudtrail_call_failed(
        "AssignPrivateIpAddresses",
        error_code="Client.InsufficientCidrBlocks",
        error_message="The specified subnet does not have enough free cidr blocks to satisfy the request",
        request={"networkInterfaceId": interface_id, "ipv4PrefixCount": 1},
        event_id="4d1c7c1e-94b1-4e32-a1a0-51b0d3b4a6c2",
    )


# --- one of each signal, and the near misses ---------------------------------------------------------

SIGNALS: dict[str, dict[str, Any]] = {
    "ecs-task-stopped": ecs_task_stopped(),
    "ecs-placement-eni": ecs_placement_failure(),
    "asg-launch-failed": asg_launch_unsuccessful(),
    "eks-nodegroup-health": eks_health_issue(),
    "eks-cluster-health": eks_health_issue((SUBNET_A, SUBNET_B), nodegroup=None),
    "cloudtrail-create-eni": cloudtrail_call_failed(),
    "cloudtrail-assign-prefix": assign_prefix_failed(),
    "cloudtrail-assign-invalid-parameter": cloudtrail_call_failed(
        "AssignPrivateIpAddresses",
        error_code="Client.InvalidParameterValue",
        error_message="There aren't sufficient free Ipv4 addresses or prefixes",
        request={"networkInterfaceId": "eni-0c9d8e7f6a5b43210", "secondaryPrivateIpAddressCount": 5},
    ),
}
# Failures for other reasons (capacity, quota, permissions) and other states of the same event.
NEAR_MISSES: dict[str, dict[str, Any]] = {
    "ecs-task-cannot-pull (image)": ecs_task_stopped(
        reason="CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout-web:1.43.0: not found"
    ),
    "ecs-task-secrets-denied (permissions)": ecs_task_stopped(
        reason="ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException"
    ),
    "ecs-task-deprovisioning (same task, not yet stopped)": ecs_task_stopped(last_status="DEPROVISIONING"),
    "ecs-placement-cpu (capacity)": ecs_placement_failure("RESOURCE:CPU"),
    "ecs-placement-fargate-spot (capacity)": ecs_placement_failure("RESOURCE:FARGATE"),
    "asg-insufficient-capacity (capacity)": asg_launch_unsuccessful(
        message="We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested "
        "(eu-west-1b). Our system will be working on provisioning additional capacity. You can currently get "
        "m5.xlarge capacity by not specifying an Availability Zone in your request or choosing eu-west-1a, "
        "eu-west-1c. Launching EC2 instance failed."
    ),
    "asg-vcpu-limit (quota)": asg_launch_unsuccessful(
        message="You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance "
        "bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request "
        "to request an adjustment to this limit. Launching EC2 instance failed."
    ),
    "asg-not-authorized (permissions)": asg_launch_unsuccessful(
        message="You are not authorized to perform this operation. Encoded authorization failure message: "
        "eSXw4Wo0hG4JJKC-oLLZXFB0cWmNihhRkNrUICk. Launching EC2 instance failed."
    ),
    "eks-health-launch-failures (quota)": eks_health_issue(
        code="AsgInstanceLaunchFailures",
        message="Could not launch On-Demand Instances. VcpuLimitExceeded - You have requested more vCPU capacity "
        "than your current vCPU limit of 4 allows for the instance bucket that the specified instance type belongs "
        "to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. "
        "Launching EC2 instance failed.",
    ),
    "cloudtrail-unauthorized (permissions)": cloudtrail_call_failed(
        error_code="Client.UnauthorizedOperation",
        error_message="You are not authorized to perform this operation.",
    ),
    "cloudtrail-instance-capacity (capacity)": cloudtrail_call_failed(
        "RunInstances",
        error_code="Server.InsufficientInstanceCapacity",
        error_message="We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested "
        "(eu-west-1a).",
    ),
    "cloudtrail-invalid-parameter (other)": cloudtrail_call_failed(
        "AssignPrivateIpAddresses",
        error_code="Client.InvalidParameterValue",
        error_message="Invalid value 'x' for networkInterfaceId",
        request={"networkInterfaceId": "eni-0c9d8e7f6a5b43210"},
    ),
}


def rehome(event: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The same event in another account and region (ARNs, envelope, Availability Zones)."""
    return json.loads(json.dumps(event).replace(ACCOUNT, account).replace(REGION, region))


def as_sqs_batch(*events: Any) -> dict[str, Any]:
    """The same events as an SQS batch (``Records[].body``), raw strings passed through."""
    return {
        "Records": [
            {"messageId": f"m{index}", "body": event if isinstance(event, str) else json.dumps(event)}
            for index, event in enumerate(events)
        ]
    }
