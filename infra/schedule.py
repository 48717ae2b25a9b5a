"""The EventBridge Scheduler schedule that starts each scan, with its retry policy and DLQ."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import NOT_A_DLQ, Acknowledgement, acknowledge

# SQS keeps a message at most 14 days; a failed delivery waits there for someone to look.
DEAD_LETTER_RETENTION = Duration.days(14)


class ScanSchedule(Construct):
    """Invoke the collector on ``expression`` (UTC); undeliverable invocations go to a DLQ.

    The Scheduler's role is ours, with exactly two grants: invoke this function (unqualified, as
    the schedule calls it) and send to this queue. CDK's target would add ``<function ARN>:*``
    (every version and alias) to a role of its own; handing it the role without policy updates
    keeps the grants to the two written here.

    Attributes
    ----------
    schedule, dead_letter_queue, role
    acknowledgements
        the cdk-nag finding the dead-letter queue causes, accepted with its reason.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        expression: str,
        function: lambda_.IFunction,
        retry_attempts: int,
        max_event_age: Duration,
    ) -> None:
        super().__init__(scope, id_)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            description="EventBridge Scheduler: start the subnet monitor's collector",
            # Only schedules of this account's default group may assume it (confused deputy).
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": stack.account,
                        "aws:SourceArn": stack.format_arn(
                            service="scheduler", resource="schedule-group", resource_name="default"
                        ),
                    }
                },
            ),
            inline_policies={
                "invoke-collector": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn]),
                        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn]),
                    ]
                )
            },
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description="Starts one subnet scan",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=targets.LambdaInvoke(
                function,
                dead_letter_queue=self.dead_letter_queue,
                role=self.role.without_policy_updates(),
                retry_attempts=retry_attempts,
                # A delivery older than one period would run alongside the next scan.
                max_event_age=max_event_age,
            ),
        )
        self.acknowledgements = acknowledge(
            [
                Acknowledgement(
                    self.dead_letter_queue,
                    NOT_A_DLQ,
                    "This queue is the dead-letter queue of the EventBridge Scheduler target "
                    "(Target.DeadLetterConfig); cdk-nag only recognises queues named in another queue's "
                    "RedrivePolicy. A DLQ for the DLQ would never receive anything.",
                )
            ]
        )
