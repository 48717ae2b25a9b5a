"""What the stack does, read from the synthesized templates."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from infra.collector import HANDLER
from infra.powertools import POWERTOOLS_LAYER_VERSION
from tests.infra.support import ACCOUNT, REGION, build, collector, flatten, only, resources

FULL_BLOCK = {
    "schedule": "rate(10 minutes)",
    "warningPercent": 70,
    "criticalPercent": 85,
    "minFreeIps": 32,
    "minFreePrefixBlocks": 4,
    "exhaustionHorizonHours": 48,
    "notificationEmails": ["platform@example.com", "oncall@example.com"],
    "slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"},
    "environments": [
        {"account": "111111111111", "region": "us-east-1"},
        {"account": "222222222222", "region": "eu-west-1"},
    ],
}
STATUS_QUERY = 'SELECT MAX(SubnetStatus) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MAX() DESC'
# GROUP BY for one series per subnet; ORDER BY decides which 500 subnets a query returns: the worst ones.
UTILIZATION_QUERY = (
    'SELECT MAX(IPUtilization) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MAX() DESC'
)
FREE_IPS_QUERY = 'SELECT MIN(AvailableIPCount) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MIN() ASC'
HEADROOM_QUERY = 'SELECT MIN(ScaleHeadroom) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MIN() ASC'
PREFIX_QUERY = 'SELECT MIN(FreePrefixBlocks) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MIN() ASC'
EXHAUSTION_QUERY = (
    'SELECT MIN(HoursToExhaustion) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MIN() ASC'
)
# The read actions discovery and measurement need, and the one write: nothing else.
READ_ACTIONS = {
    "ec2:DescribeSubnets",
    "ec2:DescribeInstances",
    "ecs:ListClusters",
    "ecs:DescribeClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecs:DescribeCapacityProviders",
    "ecs:ListContainerInstances",
    "ecs:DescribeContainerInstances",
    "autoscaling:DescribeAutoScalingGroups",
    "eks:ListClusters",
    "eks:DescribeCluster",
    "eks:ListNodegroups",
    "eks:DescribeNodegroup",
    "eks:ListFargateProfiles",
    "eks:DescribeFargateProfile",
    "eks:DescribeAddon",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetSubnetCidrReservations",
    "ecs:ListAccountSettings",
    "application-autoscaling:DescribeScalableTargets",
    "cloudwatch:GetMetricData",
}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}


@pytest.fixture(scope="module")
def default() -> Template:
    return build(None).template()


@pytest.fixture(scope="module")
def full() -> list[Template]:
    built = build(FULL_BLOCK)
    return [built.template(0), built.template(1)]


@pytest.fixture(scope="module")
def cron() -> Template:
    return build({"schedule": "cron(0/15 * * * ? *)"}).template()


def alarm(template: Template, name_suffix: str) -> dict:
    found = [
        resource["Properties"]
        for resource in resources(template, "AWS::CloudWatch::Alarm").values()
        if resource["Properties"]["AlarmName"].endswith(f"-{name_suffix}")
    ]
    assert len(found) == 1, f"expected one alarm named *-{name_suffix}"
    return found[0]


def collector_statements(template: Template) -> list[dict]:
    role = resources(template, "AWS::IAM::Role")[collector(template)["Role"]["Fn::GetAtt"][0]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    return [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]


def actions_of(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


# --- one stack per target environment ------------------------------------------------------------


def test_one_stack_in_the_clis_environment_by_default():
    built = build(None, account="333333333333", region="ap-southeast-2")
    assert [stack.stack_name for stack in built.stacks] == ["SubnetMonitor"]
    assert built.stacks[0].account == "333333333333"
    assert built.stacks[0].region == "ap-southeast-2"


def test_one_stack_per_listed_environment():
    built = build(FULL_BLOCK)
    assert [(s.stack_name, s.account, s.region) for s in built.stacks] == [
        ("SubnetMonitor-111111111111-us-east-1", "111111111111", "us-east-1"),
        ("SubnetMonitor-222222222222-eu-west-1", "222222222222", "eu-west-1"),
    ]


def test_each_environment_stands_alone():
    # GIVEN two target environments
    built = build(FULL_BLOCK)

    # THEN neither stack depends on or imports from the other: one can fail to deploy or scan and the
    # other is untouched
    assert [stack.dependencies for stack in built.stacks] == [[], []]
    for index in range(2):
        assert "Fn::ImportValue" not in json.dumps(built.template(index).to_json())


# --- the collector function ------------------------------------------------------------------------


def test_function_runtime_architecture_code_and_no_reserved_concurrency(default):
    function = collector(default)
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == HANDLER == "subnet_monitor.handlers.scan.lambda_handler"
    assert function["MemorySize"] == 256
    assert "ReservedConcurrentExecutions" not in function
    assert {
        "POWERTOOLS_SERVICE_NAME": "subnet-monitor",
        "POWERTOOLS_METRICS_NAMESPACE": "Custom/VPC",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }.items() <= function["Environment"]["Variables"].items()


def test_collector_runs_with_one_malloc_arena(default):
    # The peak memory docs/scale-and-cost.md gives was measured with it (bench/run.py sets the same):
    # glibc reads it when the runtime process starts, from the function's environment.
    assert collector(default)["Environment"]["Variables"]["MALLOC_ARENA_MAX"] == "1"


def test_layer_arn_follows_the_region_of_each_stack(full):
    arns = [flatten(collector(template)["Layers"][0]) for template in full]
    assert arns == [
        f"arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:"
        f"{POWERTOOLS_LAYER_VERSION}"
        for region in ("us-east-1", "eu-west-1")
    ]


def test_china_region_uses_the_china_publishing_account():
    template = build({"environments": [{"account": ACCOUNT, "region": "cn-north-1"}]}).template()
    arn = flatten(collector(template)["Layers"][0])
    assert arn == (
        "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:"
        f"{POWERTOOLS_LAYER_VERSION}"
    )


def test_timeout_stays_inside_the_schedule_period(default, full, cron):
    assert collector(default)["Timeout"] == 120  # rate(5 minutes)
    assert collector(full[0])["Timeout"] == 120  # rate(10 minutes)
    assert collector(cron)["Timeout"] == 50  # cron may fire every minute
    tight = build({"schedule": "rate(1 minute)"}).template()
    assert collector(tight)["Timeout"] == 50


def test_collector_memory_follows_config_and_the_event_function_keeps_its_own(default):
    # Memory buys CPU on Lambda; a large estate sets more (docs/scale-and-cost.md).
    large = build({"collectorMemoryMb": 1024}).template()
    assert collector(default)["MemorySize"] == 256
    assert collector(large)["MemorySize"] == 1024
    [(_, event_function)] = [
        (name, r["Properties"])
        for name, r in resources(large, "AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] != HANDLER
    ]
    assert event_function["MemorySize"] == 256


def test_lambda_does_not_retry_a_failed_scan_nor_run_a_stale_one(default):
    config = only(default, "AWS::Lambda::EventInvokeConfig")
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] == 300  # one rate(5 minutes) period


def test_own_log_group_with_retention(default):
    log_group_id = next(iter(resources(default, "AWS::Logs::LogGroup")))
    assert resources(default, "AWS::Logs::LogGroup")[log_group_id]["Properties"]["RetentionInDays"] == 30
    assert collector(default)["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}


# --- IAM ---------------------------------------------------------------------------------------------


def test_collector_may_read_what_discovery_needs_and_write_only_metrics_logs_and_notifications(default):
    statements = collector_statements(default)
    granted = {action for statement in statements for action in actions_of(statement)}
    assert all(statement["Effect"] == "Allow" for statement in statements)
    # + the EKS health hand-over: events, and its episode items in the failure table; + the notification naming
    # the subnets at risk: the alarm topic, its key, and its risk# items in the table (test_failure_stack.py)
    handover = {"events:PutEvents", "dynamodb:GetItem", "dynamodb:UpdateItem"}
    naming = {"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt", "dynamodb:BatchGetItem", "dynamodb:PutItem"}
    assert granted == READ_ACTIONS | LOG_ACTIONS | {"cloudwatch:PutMetricData"} | handover | naming


def test_put_metric_data_only_into_custom_vpc(default):
    [statement] = [s for s in collector_statements(default) if "cloudwatch:PutMetricData" in actions_of(s)]
    assert actions_of(statement) == ["cloudwatch:PutMetricData"]
    assert statement["Resource"] == "*"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Custom/VPC"}}


def test_wildcard_resource_only_where_no_resource_type_exists(default):
    unscoped = {
        action
        for statement in collector_statements(default)
        if statement["Resource"] == "*"
        for action in actions_of(statement)
    }
    assert unscoped == {
        "ec2:DescribeSubnets",
        "ec2:DescribeInstances",
        "autoscaling:DescribeAutoScalingGroups",
        "ecs:ListClusters",
        "eks:ListClusters",
        "ecs:ListServices",
        "ecs:ListTasks",
        "cloudwatch:PutMetricData",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetSubnetCidrReservations",
        "ecs:ListAccountSettings",
        "application-autoscaling:DescribeScalableTargets",
        "cloudwatch:GetMetricData",
    }


def test_ecs_list_calls_are_narrowed_to_this_accounts_clusters(default):
    [statement] = [s for s in collector_statements(default) if "ecs:ListServices" in actions_of(s)]
    assert sorted(actions_of(statement)) == ["ecs:ListServices", "ecs:ListTasks"]
    assert flatten(statement["Condition"]["ArnLike"]["ecs:cluster"]) == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/*"


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("ecs:DescribeClusters", "ecs:{region}:{account}:cluster/*"),
        ("ecs:ListContainerInstances", "ecs:{region}:{account}:cluster/*"),
        ("ecs:DescribeServices", "ecs:{region}:{account}:service/*"),
        ("ecs:DescribeTasks", "ecs:{region}:{account}:task/*"),
        ("ecs:DescribeContainerInstances", "ecs:{region}:{account}:container-instance/*"),
        ("ecs:DescribeCapacityProviders", "ecs:{region}:{account}:capacity-provider/*"),
        ("eks:DescribeCluster", "eks:{region}:{account}:cluster/*"),
        ("eks:ListNodegroups", "eks:{region}:{account}:cluster/*"),
        ("eks:ListFargateProfiles", "eks:{region}:{account}:cluster/*"),
        ("eks:DescribeNodegroup", "eks:{region}:{account}:nodegroup/*"),
        ("eks:DescribeFargateProfile", "eks:{region}:{account}:fargateprofile/*"),
        ("eks:DescribeAddon", "eks:{region}:{account}:addon/*"),
    ],
)
def test_resource_level_actions_are_scoped_to_arns(default, action, arn):
    [statement] = [s for s in collector_statements(default) if action in actions_of(s)]
    assert flatten(statement["Resource"]) == "arn:aws:" + arn.format(region=REGION, account=ACCOUNT)


def test_log_writes_only_to_its_own_log_group(default):
    log_group_id = next(iter(resources(default, "AWS::Logs::LogGroup")))
    [statement] = [s for s in collector_statements(default) if "logs:PutLogEvents" in actions_of(s)]
    assert statement["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_scheduler_role_invokes_only_the_collector_and_sends_only_to_the_dlq(default):
    function_id = next(iter(resources(default, "AWS::Lambda::Function")))
    queue_id = next(iter(resources(default, "AWS::SQS::Queue")))
    [role] = [
        r["Properties"]
        for r in resources(default, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "scheduler.amazonaws.com"}
    ]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("lambda:InvokeFunction", {"Fn::GetAtt": [function_id, "Arn"]}),
        ("sqs:SendMessage", {"Fn::GetAtt": [queue_id, "Arn"]}),
    ]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


def test_no_iam_policy_outside_the_three_roles(default):
    assert resources(default, "AWS::IAM::Policy") == {}
    assert resources(default, "AWS::IAM::ManagedPolicy") == {}
    assert len(resources(default, "AWS::IAM::Role")) == 3  # collector, scheduler, failure function


# --- schedule ----------------------------------------------------------------------------------------


def test_schedule_expression_retry_policy_and_dlq_from_config(full, default, cron):
    function_id = next(iter(resources(full[0], "AWS::Lambda::Function")))
    queue_id = next(iter(resources(full[0], "AWS::SQS::Queue")))
    schedule = only(full[0], "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "rate(10 minutes)"
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert schedule["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600}
    assert schedule["Target"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert only(default, "AWS::Scheduler::Schedule")["ScheduleExpression"] == "rate(5 minutes)"
    assert only(cron, "AWS::Scheduler::Schedule")["ScheduleExpression"] == "cron(0/15 * * * ? *)"
    assert only(cron, "AWS::Scheduler::Schedule")["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 60


def test_dead_letter_queue_is_encrypted_and_ssl_only(default):
    queue_id = next(iter(resources(default, "AWS::SQS::Queue")))
    assert only(default, "AWS::SQS::Queue")["SqsManagedSseEnabled"] is True
    policy = only(default, "AWS::SQS::QueuePolicy")
    assert policy["Queues"] == [{"Ref": queue_id}]
    assert {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sqs:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= policy["PolicyDocument"]["Statement"][0].items()


# --- notifications -----------------------------------------------------------------------------------


def test_topic_is_kms_encrypted_with_a_rotating_key_cloudwatch_may_use(default):
    key_id = next(iter(resources(default, "AWS::KMS::Key")))
    assert only(default, "AWS::SNS::Topic")["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = only(default, "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    [grant] = [
        s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert flatten(grant["Condition"]["ArnLike"]["aws:SourceArn"]) == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"


def test_topic_policy_denies_publishing_without_ssl_and_lets_alarms_publish(default):
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    statements = only(default, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    assert {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Resource": {"Ref": topic_id},
    }.items() <= statements[0].items()
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert flatten(allow["Condition"]["ArnLike"]["aws:SourceArn"]) == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"


def test_email_subscriptions_from_config(full, default):
    endpoints = sorted(
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
        for s in resources(full[0], "AWS::SNS::Subscription").values()
    )
    assert endpoints == [("email", "oncall@example.com"), ("email", "platform@example.com")]
    assert resources(default, "AWS::SNS::Subscription") == {}


def test_slack_channel_only_when_configured(full, default):
    topic_id = next(iter(resources(full[0], "AWS::SNS::Topic")))
    slack = only(full[0], "AWS::Chatbot::SlackChannelConfiguration")
    assert slack["SlackWorkspaceId"] == "T0123ABCDE"
    assert slack["SlackChannelId"] == "C0456FGHIJ"
    assert slack["SnsTopicArns"] == [{"Ref": topic_id}]
    assert [flatten(p) for p in slack["GuardrailPolicies"]] == [
        "arn:<AWS::Partition>:iam::aws:policy/CloudWatchReadOnlyAccess"
    ]
    assert resources(default, "AWS::Chatbot::SlackChannelConfiguration") == {}


# --- alarms ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "count"), [("SubnetWarning", "SubnetsAtRisk"), ("SubnetCritical", "SubnetsCritical")]
)
def test_verdict_alarms_watch_the_stacks_count_of_subnets_at_risk(full, default, suffix, count):
    # GIVEN the collector's count of subnets WARNING or worse (SubnetsAtRisk) and CRITICAL (SubnetsCritical)
    topic_id = next(iter(resources(full[0], "AWS::SNS::Topic")))
    properties = alarm(full[0], suffix)
    # THEN each alarm is one metric for the whole stack (billed once, whatever the subnets), at 1 or more
    assert (properties["Namespace"], properties["MetricName"], properties["Statistic"]) == (
        "Custom/VPC",
        count,
        "Maximum",
    )
    assert properties["Dimensions"] == [{"Name": "service", "Value": "subnet-monitor"}]
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["EvaluationPeriods"] == 1
    assert properties["TreatMissingData"] == "ignore"
    assert properties["AlarmActions"] == [{"Ref": topic_id}]
    assert properties["OKActions"] == [{"Ref": topic_id}]
    # AND the thresholds are the collector's (its environment), not the alarm's: the same alarm either way
    assert alarm(default, suffix)["Threshold"] == 1


@pytest.mark.parametrize("metrics", ["lean", "default", "detailed"])
def test_no_alarm_analyzes_a_metric_per_subnet_in_any_setting(metrics):
    # GIVEN every per-signal threshold set (minFreeIps, minFreePrefixBlocks, exhaustionHorizonHours)
    template = build({**{k: v for k, v in FULL_BLOCK.items() if k != "environments"}, "metrics": metrics}).template()
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    names = {a["Properties"]["AlarmName"].split("-")[-1] for a in alarms}
    # THEN there is no alarm per signal, and no Metrics Insights alarm (billed one alarm metric per subnet)
    assert not names & {
        "UtilizationWarning",
        "UtilizationCritical",
        "LowFreeIps",
        "NegativeScaleHeadroom",
        "LowFreePrefixBlocks",
        "ExhaustionSoon",
    }
    assert {"SubnetWarning", "SubnetCritical"} <= names
    assert not [m for a in alarms for m in a["Properties"].get("Metrics", []) if "Expression" in m]


def test_heartbeat_alarms_when_scans_stop_arriving(default, cron):
    topic_id = next(iter(resources(default, "AWS::SNS::Topic")))
    properties = alarm(default, "Heartbeat")
    assert {
        "Namespace": "Custom/VPC",
        "MetricName": "SubnetsScanned",
        "Dimensions": [{"Name": "service", "Value": "subnet-monitor"}],
        "Statistic": "SampleCount",
        "Period": 300,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 1,
        "ComparisonOperator": "LessThanThreshold",
        "TreatMissingData": "breaching",
        "AlarmActions": [{"Ref": topic_id}],
        "OKActions": [{"Ref": topic_id}],
    }.items() <= properties.items()
    # cron: the interval is unknown, so a whole day without a scan
    assert (alarm(cron, "Heartbeat")["Period"], alarm(cron, "Heartbeat")["EvaluationPeriods"]) == (3600, 24)


def test_function_errors_alarm(default):
    function_id = next(iter(resources(default, "AWS::Lambda::Function")))
    properties = alarm(default, "FunctionErrors")
    assert {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function_id}}],
        "Statistic": "Sum",
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }.items() <= properties.items()
    assert properties["OKActions"] == properties["AlarmActions"]


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(full):
    topic_id = next(iter(resources(full[1], "AWS::SNS::Topic")))
    alarms = resources(full[1], "AWS::CloudWatch::Alarm").values()
    assert len(alarms) == 7  # the verdict's two, three health alarms, the failure path's two
    for resource in alarms:
        assert resource["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert resource["Properties"]["OKActions"] == [{"Ref": topic_id}]


# --- dashboard ---------------------------------------------------------------------------------------


def dashboard_widgets(template: Template) -> list[dict]:
    return json.loads(flatten(only(template, "AWS::CloudWatch::Dashboard")["DashboardBody"]))["widgets"]


def dashboard_queries(template: Template) -> list[str]:
    return [
        metric[0]["expression"]
        for widget in dashboard_widgets(template)
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], dict)
    ]


@pytest.mark.parametrize(
    ("metrics", "graphs"),
    [
        ("lean", [FREE_IPS_QUERY]),
        ("default", [FREE_IPS_QUERY, STATUS_QUERY]),
        ("detailed", [FREE_IPS_QUERY, STATUS_QUERY, UTILIZATION_QUERY, HEADROOM_QUERY, PREFIX_QUERY, EXHAUSTION_QUERY]),
    ],
)
def test_dashboard_graphs_what_the_metrics_setting_publishes(metrics, graphs):
    template = build({"metrics": metrics}).template()
    # the per-subnet graphs are Metrics Insights queries over the metrics the setting publishes, no other
    assert dashboard_queries(template) == [f"{query} LIMIT 10" for query in graphs]
    # AND in every setting, the counts the alarms watch
    counted = {
        metric[1]
        for widget in dashboard_widgets(template)
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], str)
    }
    assert {"SubnetsAtRisk", "SubnetsCritical"} <= counted


def test_dashboard_alarm_status_lists_every_alarm(full):
    [status] = [w for w in dashboard_widgets(full[0]) if w["type"] == "alarm"]
    alarm_ids = {f"<{logical_id}.Arn>" for logical_id in resources(full[0], "AWS::CloudWatch::Alarm")}
    assert set(status["properties"]["alarms"]) == alarm_ids


def test_dashboard_monitor_health_graphs(default):
    metrics = [
        tuple(metric[:2])
        for widget in dashboard_widgets(default)
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], str)
    ]
    assert {
        ("Custom/VPC", "SubnetsScanned"),
        ("Custom/VPC", "ScanErrors"),
        ("Custom/VPC", "ScanDuration"),
        ("AWS/Lambda", "Errors"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    } <= set(metrics)


def test_dashboard_logs_insights_table_of_latest_subnet_reports(default):
    log_group_id = next(iter(resources(default, "AWS::Logs::LogGroup")))
    [table] = [w for w in dashboard_widgets(default) if w["type"] == "log"]
    query = table["properties"]["query"]
    assert table["properties"]["view"] == "table"
    assert query.startswith(f"SOURCE '<{log_group_id}>' | filter message = \"subnet_report\"")
    assert "by subnet_id" in query
    for field in ("status", "utilization_percent", "available_ips", "roles_json", "workloads_json", "cidr"):
        assert f"latest({field})" in query
