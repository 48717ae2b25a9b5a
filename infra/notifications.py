"""Where alarms go: a KMS-encrypted, SSL-only SNS topic with e-mail and optional Slack."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from infra.naming import account_unique_name
from subnet_monitor.core.config import ConfigError, SlackTarget

# Days KMS waits before deleting the key after the stack is deleted (the minimum is 7).
KEY_DELETION_WINDOW = Duration.days(7)
# Slack users in the channel can at most read CloudWatch through the chat integration: the
# channel is for notifications, not for running commands.
SLACK_GUARDRAIL_POLICY = "CloudWatchReadOnlyAccess"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
# AWS Chatbot (now Amazon Q Developer in chat applications) runs in the commercial partition only: every
# Region its "Regions and quotas" page lists is there, none in China (aws-cn) or GovCloud (aws-us-gov),
# and CloudFormation has no AWS::Chatbot::SlackChannelConfiguration in those regions.
# https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-regions.html
CHATBOT_PARTITION = "aws"


def refuse_slack_outside_chatbot(stack: Stack) -> None:
    """Stop synth when ``slack`` is set for a region without AWS Chatbot (a stack whose region is only
    known at deploy cannot be checked).

    Raises
    ------
    ConfigError
        (key ``slack``) naming the region and why.
    """
    region = stack.region
    if Token.is_unresolved(region):
        return
    partition = RegionInfo.get(region).partition
    if partition is not None and partition != CHATBOT_PARTITION:
        raise ConfigError(
            "slack",
            region,
            f"has no AWS Chatbot (Amazon Q Developer in chat applications), which the Slack channel needs: "
            f"it runs in commercial regions only, not in the {partition} partition; leave slack out for this "
            "environment and use notificationEmails",
        )


class AlarmTopic(Construct):
    """The topic every alarm and OK action publishes to.

    CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed ``aws/sns`` key,
    so the topic gets its own key whose policy lets CloudWatch (for this account's alarms only)
    use it. The topic policy replaces SNS's default one, so it grants CloudWatch ``sns:Publish``
    itself, next to the SSL-only deny.

    Attributes
    ----------
    topic, key, slack_channel (None without Slack)
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        emails: Sequence[str],
        slack: SlackTarget | None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        alarms_of_this_account = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            # Alarm ARNs are arn:…:cloudwatch:<region>:<account>:alarm:<name> (a colon, not a slash).
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
                )
            },
        }
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the subnet monitor's alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=KEY_DELETION_WINDOW,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=alarms_of_this_account,
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Subnet IP monitor",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=alarms_of_this_account,
            )
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.slack_channel: chatbot.SlackChannelConfiguration | None = None
        if slack is not None:
            refuse_slack_outside_chatbot(stack)
            self.slack_channel = chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                # Chatbot configuration names are unique per account (infra/naming.py); at most 128 characters.
                slack_channel_configuration_name=account_unique_name(stack, "-alarms", max_length=128),
                slack_workspace_id=slack.workspace_id,
                slack_channel_id=slack.channel_id,
                notification_topics=[self.topic],
                guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SLACK_GUARDRAIL_POLICY)],
                logging_level=chatbot.LoggingLevel.ERROR,
            )
