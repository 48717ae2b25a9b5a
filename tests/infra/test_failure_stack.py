"""The failure path in the synthesized template: the rules' event patterns evaluated against the sample
events and the near misses, the event function and its least-privilege role, the de-duplication
table, the collector's one extra write, the alarms."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template
from moto.events.models import EventPattern

from fixtures.failure_samples import NEAR_MISSES, SIGNALS
from infra.failures import HANDLER
from subnet_monitor.core.config import FailureConfig
from tests.event_patterns import matches
from tests.infra.support import ACCOUNT, REGION, build, collector, flatten, resources

# Which rule each sample must reach (and no other); None = only with cloudTrailFailures.
EXPECTED_RULE = {
    "ecs-task-stopped": "EcsTaskStopped",
    "ecs-placement-eni": "EcsPlacementEni",
    "asg-launch-failed": "AsgLaunchUnsuccessful",
    "eks-nodegroup-health": "EksHealth",
    "eks-cluster-health": "EksHealth",
    "cloudtrail-create-eni": "CloudTrailErrorCode",
    "cloudtrail-assign-prefix": "CloudTrailErrorCode",
    "cloudtrail-assign-invalid-parameter": "CloudTrailErrorMessage",
}
CLOUDTRAIL_RULES = {"CloudTrailErrorCode", "CloudTrailErrorMessage"}


@pytest.fixture(scope="module")
def default() -> Template:
    return build(None).template()


@pytest.fixture(scope="module")
def cloudtrail() -> Template:
    return build({"cloudTrailFailures": True, "failureNotificationWindowMinutes": 30}).template()


def rules(template: Template) -> dict[str, dict]:
    """Rule name (from its description) -> properties."""
    found = {}
    for resource in resources(template, "AWS::Events::Rule").values():
        properties = resource["Properties"]
        found[properties["Description"].split(": ")[1].split(" ")[0]] = properties
    return found


def matching_rules(template: Template, event: dict) -> set[str]:
    """The rules whose synthesized pattern matches ``event``; moto's own matcher must agree with ours."""
    ours = {name for name, rule in rules(template).items() if matches(rule["EventPattern"], event)}
    motos = {
        name
        for name, rule in rules(template).items()
        if EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event)
    }
    assert ours == motos
    return ours


def failure_function(template: Template) -> tuple[str, dict]:
    [(logical_id, resource)] = [
        (logical_id, resource)
        for logical_id, resource in resources(template, "AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == HANDLER
    ]
    return logical_id, resource["Properties"]


def statements(template: Template, role_id: str) -> list[dict]:
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def actions_of(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


# --- the rules' patterns against real-shaped events --------------------------------------------------


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_each_sample_reaches_exactly_its_rule(default, cloudtrail, name):
    expected = EXPECTED_RULE[name]
    assert matching_rules(cloudtrail, SIGNALS[name]) == {expected}
    # Without cloudTrailFailures the CloudTrail samples reach nothing.
    assert matching_rules(default, SIGNALS[name]) == (set() if expected in CLOUDTRAIL_RULES else {expected})


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_reach_no_rule(cloudtrail, name):
    assert matching_rules(cloudtrail, NEAR_MISSES[name]) == set()


def test_cloudtrail_rules_only_when_configured(default, cloudtrail):
    assert set(rules(default)) == {"EcsTaskStopped", "EcsPlacementEni", "AsgLaunchUnsuccessful", "EksHealth"}
    assert set(rules(cloudtrail)) == set(rules(default)) | CLOUDTRAIL_RULES


def test_every_rule_invokes_the_failure_function_and_only_that_rule_may(default):
    function_id, _ = failure_function(default)
    permissions = {
        p["Properties"]["SourceArn"]["Fn::GetAtt"][0]
        for p in resources(default, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    }
    rule_ids = set(resources(default, "AWS::Events::Rule"))
    assert permissions == rule_ids
    for rule in rules(default).values():
        [target] = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}


# --- the event function ------------------------------------------------------------------------------


def test_same_asset_runtime_architecture_and_layer_as_the_collector(default):
    _, function = failure_function(default)
    scan = collector(default)
    for key in ("Code", "Runtime", "Architectures", "Layers", "MemorySize"):  # 256 MB both, by default
        assert function[key] == scan[key], key
    assert function["Architectures"] == ["arm64"]
    assert function["Timeout"] == 30
    assert "ReservedConcurrentExecutions" not in function


def test_environment_names_the_topic_the_table_and_the_window(default, cloudtrail):
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    table_id = next(iter(resources(default, "AWS::DynamoDB::Table")))
    variables = failure_function(default)[1]["Environment"]["Variables"]
    assert variables["FAILURE_TOPIC_ARN"] == {"Ref": topic_id}
    assert variables["FAILURE_DEDUP_TABLE"] == {"Ref": table_id}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "subnet-monitor"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Custom/VPC"
    # The function parses the window and the CloudTrail switch back to the configured values.
    assert FailureConfig.from_env(variables) == FailureConfig(window_minutes=15, cloudtrail=False)
    assert FailureConfig.from_env(failure_function(cloudtrail)[1]["Environment"]["Variables"]) == FailureConfig(
        window_minutes=30, cloudtrail=True
    )


def test_own_log_group_with_retention(default):
    _, function = failure_function(default)
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources(default, "AWS::Logs::LogGroup")[log_group_id]["Properties"]["RetentionInDays"] == 30


def test_role_reads_subnets_puts_custom_vpc_metrics_publishes_to_its_topic_nothing_else(default, cloudtrail):
    _, function = failure_function(default)
    role_id = function["Role"]["Fn::GetAtt"][0]
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    key_id = next(iter(resources(default, "AWS::KMS::Key")))
    table_id = next(iter(resources(default, "AWS::DynamoDB::Table")))
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    granted = {
        (action, json.dumps(s["Resource"], sort_keys=True), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements(default, role_id)
        for action in actions_of(s)
    }
    assert all(s["Effect"] == "Allow" for s in statements(default, role_id))
    assert granted == {
        ("ec2:DescribeSubnets", '"*"', "null"),
        ("cloudwatch:PutMetricData", '"*"', '{"StringEquals": {"cloudwatch:namespace": "Custom/VPC"}}'),
        ("sns:Publish", json.dumps({"Ref": topic_id}), "null"),
        ("kms:GenerateDataKey", json.dumps({"Fn::GetAtt": [key_id, "Arn"]}), "null"),
        ("kms:Decrypt", json.dumps({"Fn::GetAtt": [key_id, "Arn"]}), "null"),
        ("dynamodb:PutItem", json.dumps({"Fn::GetAtt": [table_id, "Arn"]}), "null"),
        ("dynamodb:DeleteItem", json.dumps({"Fn::GetAtt": [table_id, "Arn"]}), "null"),
        ("logs:CreateLogStream", json.dumps({"Fn::GetAtt": [log_group_id, "Arn"]}), "null"),
        ("logs:PutLogEvents", json.dumps({"Fn::GetAtt": [log_group_id, "Arn"]}), "null"),
    }
    # With CloudTrail, one more read: the subnet of the ENI that AssignPrivateIpAddresses names.
    trail_role = failure_function(cloudtrail)[1]["Role"]["Fn::GetAtt"][0]
    [read] = [s for s in statements(cloudtrail, trail_role) if "ec2:DescribeSubnets" in actions_of(s)]
    assert sorted(actions_of(read)) == ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]


def test_collector_may_put_only_its_own_events_on_the_default_bus(default):
    scan = collector(default)
    role = scan["Role"]["Fn::GetAtt"][0]
    [statement] = [s for s in statements(default, role) if "events:PutEvents" in actions_of(s)]
    assert actions_of(statement) == ["events:PutEvents"]
    assert flatten(statement["Resource"]) == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    assert statement["Condition"] == {"StringEquals": {"events:source": "subnet-monitor"}}


def test_collector_may_read_and_write_only_its_own_items_in_the_table(default):
    # The scan counts EKS health issues once per episode (docs/failures.md, "Episodes") in the table's
    # eks-health# items, and records the subnets it named (docs/metrics.md) in its risk# items; no other
    # item (not the notification windows).
    scan = collector(default)
    table_id = next(iter(resources(default, "AWS::DynamoDB::Table")))
    assert scan["Environment"]["Variables"]["FAILURE_DEDUP_TABLE"] == {"Ref": table_id}
    role = scan["Role"]["Fn::GetAtt"][0]
    found = {
        tuple(sorted(actions_of(s))): (s["Resource"], s["Condition"])
        for s in statements(default, role)
        if any(a.startswith("dynamodb:") for a in actions_of(s))
    }
    table = {"Fn::GetAtt": [table_id, "Arn"]}
    assert found == {
        ("dynamodb:GetItem", "dynamodb:UpdateItem"): (
            table,
            {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["eks-health#*"]}},
        ),
        ("dynamodb:BatchGetItem", "dynamodb:PutItem"): (
            table,
            {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["risk#*", "history#*"]}},
        ),
    }


def test_collector_may_publish_only_to_the_alarm_topic(default):
    # The collector names the subnets at risk on the stack's own (KMS-encrypted) topic, and nowhere else.
    scan = collector(default)
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    key_id = next(iter(resources(default, "AWS::KMS::Key")))
    assert scan["Environment"]["Variables"]["FAILURE_TOPIC_ARN"] == {"Ref": topic_id}
    role = scan["Role"]["Fn::GetAtt"][0]
    [publish] = [s for s in statements(default, role) if "sns:Publish" in actions_of(s)]
    assert (actions_of(publish), publish["Resource"]) == (["sns:Publish"], {"Ref": topic_id})
    [kms] = [s for s in statements(default, role) if any(a.startswith("kms:") for a in actions_of(s))]
    assert (sorted(actions_of(kms)), kms["Resource"]) == (
        ["kms:Decrypt", "kms:GenerateDataKey"],
        {"Fn::GetAtt": [key_id, "Arn"]},
    )


def test_windows_table_expires_its_items(default):
    table = next(iter(resources(default, "AWS::DynamoDB::Table").values()))
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("suffix", "namespace", "metric"),
    [
        ("FailureFunctionErrors", "AWS/Lambda", "Errors"),
        ("FailureNotificationErrors", "Custom/VPC", "NotificationErrors"),
    ],
)
def test_alarms_on_the_failure_paths_own_health(default, suffix, namespace, metric):
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    [alarm] = [
        a["Properties"]
        for a in resources(default, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"].endswith(f"-{suffix}")
    ]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (namespace, metric, "Sum")
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id}]
