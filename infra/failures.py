"""Failures the moment they happen: EventBridge rules → the event function → ``IPExhaustionFailures``
and at most one notification per subnet per window on the alarm topic.

The patterns are :mod:`subnet_monitor.failures.patterns` (the parser reads the same fields); the
CloudTrail rules exist only with ``cloudTrailFailures``. The de-duplication window is a DynamoDB
conditional write with a TTL (docs/failures.md says why not an alarm).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.alarms import health_metric
from infra.collector import (
    LOG_RETENTION,
    PUT_METRIC_DATA,
    PUT_METRIC_DATA_REASON,
    CollectorFunction,
    package_function,
    put_metric_data_statement,
    write_log_group_statement,
)
from infra.nag import WILDCARD_RESOURCE, Acknowledgement, acknowledge
from infra.timing import FUNCTION_MEMORY_MB
from subnet_monitor.aws.failures import DEDUP_EXPIRY_ATTRIBUTE, DEDUP_KEY_ATTRIBUTE, EPISODE_KEY_PREFIX
from subnet_monitor.aws.risk import HISTORY_KEY_PREFIX, RISK_KEY_PREFIX
from subnet_monitor.core.config import ENV_FAILURE_DEDUP_TABLE, ENV_FAILURE_TOPIC_ARN, FailureConfig
from subnet_monitor.core.metrics import NOTIFICATION_ERRORS
from subnet_monitor.failures.patterns import CLOUDTRAIL_PATTERNS, DEFAULT_PATTERNS, EVENT_SOURCE

HANDLER = "subnet_monitor.handlers.events.lambda_handler"
# One event: a DescribeSubnets, a PutMetricData, a conditional PutItem and a Publish per subnet.
FUNCTION_TIMEOUT = Duration.seconds(30)
# EventBridge retries a delivery the function's service refused (throttling) for up to this long.
TARGET_RETRY_ATTEMPTS = 4
TARGET_MAX_EVENT_AGE = Duration.hours(1)
ALARM_PERIOD = Duration.minutes(5)
# Read actions without a resource type: IAM accepts only "*" for them.
READ_SUBNETS = {"ec2:DescribeSubnets": "EC2 Describe calls have no resource type"}
READ_INTERFACES = {
    "ec2:DescribeNetworkInterfaces": (
        "EC2 Describe calls have no resource type; only with cloudTrailFailures, to find the subnet of the ENI "
        "a failed AssignPrivateIpAddresses names"
    )
}
# SNS encrypts a message for a KMS-encrypted topic with the publisher's permissions on the key.
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
KMS_FOR_PUBLISH = ("kms:GenerateDataKey", "kms:Decrypt")
DEDUP_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
# The collector's record of EKS health episodes (subnet_monitor.aws.failures.HealthEpisodes), on its
# own keys only: dynamodb:LeadingKeys is the partition key of each item a request touches, and
# ForAllValues requires every one to match.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
EPISODE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")
# The collector's record of the subnets it named and its forecast history (subnet_monitor.aws.risk): 16
# items each, read in one BatchGetItem, written whole. LeadingKeys applies to each key of a BatchGetItem.
RISK_RECORD_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:PutItem")
PUT_EVENTS = "events:PutEvents"
NO_BACKUP_FOR_WINDOWS = "AwsSolutions-DDB3"


class FailureNotifications(Construct):
    """The rules, the event function (same asset and Powertools layer as the collector), its log group,
    role and de-duplication table, two alarms on its own health; and what the collector needs to hand
    over EKS health issues once per episode: ``events:PutEvents`` of source ``subnet-monitor`` on the
    default bus, and the table's ``eks-health#`` items (its name in ``FAILURE_DEDUP_TABLE``).

    Attributes
    ----------
    function, role, log_group, table, rules (rule name -> rule), alarms
    unscoped_actions
        action -> why it is granted on ``Resource: "*"``.
    acknowledgements
        the cdk-nag findings this construct accepts, with their reasons.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: FailureConfig,
        environment: Mapping[str, str],
        topic: sns.ITopic,
        key: kms.IKey,
        collector: CollectorFunction,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        # Items are markers that expire (a notification window; an EKS health episode or a subnet named, some
        # weeks after the last scan that saw it; the forecast's history, 6 hours after the last scan): nothing
        # to keep, nothing to back up.
        self.table = dynamodb.Table(
            self,
            "Windows",
            partition_key=dynamodb.Attribute(name=DEDUP_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=DEDUP_EXPIRY_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.unscoped_actions = {**READ_SUBNETS, **(READ_INTERFACES if config.cloudtrail else {})}
        self.unscoped_actions[PUT_METRIC_DATA] = PUT_METRIC_DATA_REASON
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Subnet monitor failures: read subnets, metrics to Custom/VPC, publish to the alarm topic",
            inline_policies={
                "failures": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="ReadSubnets",
                            actions=[a for a in self.unscoped_actions if a != PUT_METRIC_DATA],
                            resources=["*"],
                        ),
                        put_metric_data_statement(),
                        iam.PolicyStatement(
                            sid="PublishToAlarmTopic", actions=["sns:Publish"], resources=[topic.topic_arn]
                        ),
                        iam.PolicyStatement(
                            sid="EncryptForAlarmTopic", actions=list(KMS_FOR_PUBLISH), resources=[key.key_arn]
                        ),
                        iam.PolicyStatement(
                            sid="NotificationWindows", actions=list(DEDUP_ACTIONS), resources=[self.table.table_arn]
                        ),
                        write_log_group_statement(self.log_group),
                    ]
                )
            },
        )
        self.function = package_function(
            self,
            "Function",
            description="Counts IP exhaustion failures (ECS, Auto Scaling, EKS); notifies once per subnet per window",
            handler=HANDLER,
            memory_size=FUNCTION_MEMORY_MB,
            timeout=FUNCTION_TIMEOUT,
            environment={
                **config.to_env(),
                ENV_FAILURE_TOPIC_ARN: topic.topic_arn,
                ENV_FAILURE_DEDUP_TABLE: self.table.table_name,
                **environment,
            },
            role=self.role,
            log_group=self.log_group,
        )
        patterns = {**DEFAULT_PATTERNS, **(CLOUDTRAIL_PATTERNS if config.cloudtrail else {})}
        self.rules: dict[str, events.Rule] = {}
        for name, pattern in patterns.items():
            rule = events.Rule(
                self,
                name,
                description=f"Subnet monitor: {name} failures for lack of IP addresses",
                event_pattern=events.EventPattern(
                    source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
                ),
            )
            rule.add_target(
                targets.LambdaFunction(
                    self.function, retry_attempts=TARGET_RETRY_ATTEMPTS, max_event_age=TARGET_MAX_EVENT_AGE
                )
            )
            self.rules[name] = rule
        # The scan hands over EKS health issues as events of its own source, on the default bus only,
        # once per episode: it records the episodes in the table, under its own keys.
        collector.policy.add_statements(
            iam.PolicyStatement(
                sid="PutEksHealthEventsOnDefaultBus",
                actions=[PUT_EVENTS],
                resources=[stack.format_arn(service="events", resource="event-bus", resource_name="default")],
                conditions={"StringEquals": {"events:source": EVENT_SOURCE}},
            ),
            iam.PolicyStatement(
                sid="RecordEksHealthEpisodes",
                actions=list(EPISODE_ACTIONS),
                resources=[self.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{EPISODE_KEY_PREFIX}*"]}},
            ),
            # The alarms count the subnets at risk; the collector names them on the same topic, and keeps
            # which it named, and the forecast's history, under its own keys.
            iam.PolicyStatement(
                sid="KeepSubnetsNamedAndHistory",
                actions=list(RISK_RECORD_ACTIONS),
                resources=[self.table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [f"{RISK_KEY_PREFIX}*", f"{HISTORY_KEY_PREFIX}*"]
                    }
                },
            ),
            iam.PolicyStatement(sid="NameSubnetsAtRisk", actions=["sns:Publish"], resources=[topic.topic_arn]),
            iam.PolicyStatement(sid="EncryptForAlarmTopic", actions=list(KMS_FOR_PUBLISH), resources=[key.key_arn]),
        )
        collector.function.add_environment(ENV_FAILURE_DEDUP_TABLE, self.table.table_name)
        collector.function.add_environment(ENV_FAILURE_TOPIC_ARN, topic.topic_arn)
        self.alarms = self._alarms(stack.stack_name, topic)
        unscoped = "; ".join(f"{action}: {why}" for action, why in self.unscoped_actions.items())
        self.acknowledgements = acknowledge(
            [
                Acknowledgement(
                    self.role,
                    WILDCARD_RESOURCE,
                    "Resource '*' because IAM accepts no narrower resource for these actions (the Service "
                    "Authorization Reference lists no resource type for them); the one write is narrowed by a "
                    f"condition: {unscoped}.",
                ),
                Acknowledgement(
                    self.table,
                    NO_BACKUP_FOR_WINDOWS,
                    "The table holds only notification windows (one item per subnet, expiring after "
                    f"{config.window_minutes} minutes through TTL), when the scan last saw each EKS health "
                    "issue, which subnets the collector named at risk and the last 6 hours of the forecast's "
                    "history; a restored copy would only hold back or repeat a notification, count an issue "
                    "again or have the history read from CloudWatch again, so point-in-time recovery would "
                    "protect nothing.",
                ),
            ]
        )

    def _alarms(self, prefix: str, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        action = actions.SnsAction(topic)
        found = []
        for id_, metric, description in (
            (
                "FailureFunctionErrors",
                self.function.metric_errors(period=ALARM_PERIOD, statistic=cloudwatch.Stats.SUM),
                "The failure function failed (see its log group): failures may go uncounted and unnotified.",
            ),
            (
                "FailureNotificationErrors",
                health_metric(NOTIFICATION_ERRORS, cloudwatch.Stats.SUM, ALARM_PERIOD),
                'A failure notification could not be published; Logs Insights: filter message = "failure_error".',
            ),
        ):
            alarm = cloudwatch.Alarm(
                self,
                id_,
                alarm_name=f"{prefix}-{id_}",
                alarm_description=description,
                metric=metric,
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            found.append(alarm)
        return found
