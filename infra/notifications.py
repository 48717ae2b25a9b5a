"""Where alarms go: a KMS-encrypted, SSL-only SNS topic with e-mail and optional Slack and Teams (AWS
Chatbot), and, for paging (PagerDuty, Opsgenie, other HTTPS receivers), a second topic that only
CloudWatch alarms publish to.

Why two topics: the failure function publishes to the alarm topic with one message per protocol, and
its ``https`` message is AWS Chatbot's custom notification, the only form a chat channel shows. Every
HTTPS subscriber of that topic would receive it, and a pager's CloudWatch integration reads only
CloudWatch's alarm JSON (it opens an incident on ALARM and resolves it on OK, keyed by the alarm name).
A subscription filter cannot keep the failure notifications out while letting the alarms in: alarm
notifications carry no message attributes, and ``"exists": false`` "only matches if at least one
attribute is present" (https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html). So the
pagers get a topic of their own, on every alarm's ALARM and OK actions, which nothing else publishes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, SecretValue, Stack, Token
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from infra.naming import account_unique_name
from subnet_monitor.core.config import ConfigError, MonitorConfig, SlackTarget, TeamsTarget

# Days KMS waits before deleting the key after the stack is deleted (the minimum is 7).
KEY_DELETION_WINDOW = Duration.days(7)
# Slack and Teams users in the channel can at most read CloudWatch through the chat integration: the
# channel is for notifications, not for running commands.
SLACK_GUARDRAIL_POLICY = "CloudWatchReadOnlyAccess"
CHAT_GUARDRAIL_POLICY = SLACK_GUARDRAIL_POLICY
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
CHATBOT_PRINCIPAL = "chatbot.amazonaws.com"
# A Chatbot configuration name: letters, digits, - and _, at most 128 characters, unique in the account.
CHAT_CONFIGURATION_NAME_MAX = 128
SECRET_WARNING_ID = "subnet-monitor:integration-key-in-template"
# AWS Chatbot (now Amazon Q Developer in chat applications) runs in the commercial partition only: every
# Region its "Regions and quotas" page lists is there, none in China (aws-cn) or GovCloud (aws-us-gov),
# and CloudFormation has neither AWS::Chatbot::SlackChannelConfiguration nor
# AWS::Chatbot::MicrosoftTeamsChannelConfiguration in those regions.
# https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-regions.html
CHATBOT_PARTITION = "aws"


def refuse_chat_outside_chatbot(stack: Stack, key: str = "slack") -> None:
    """Stop synth when ``slack`` (or ``teams``: ``key``) is set for a region without AWS Chatbot (a
    stack whose region is only known at deploy cannot be checked).

    Raises
    ------
    ConfigError
        (key ``slack`` or ``teams``) naming the region and why.
    """
    region = stack.region
    if Token.is_unresolved(region):
        return
    partition = RegionInfo.get(region).partition
    if partition is not None and partition != CHATBOT_PARTITION:
        client = {"slack": "Slack", "teams": "Microsoft Teams"}[key]
        raise ConfigError(
            key,
            region,
            f"has no AWS Chatbot (Amazon Q Developer in chat applications), which the {client} channel needs: "
            f"it runs in commercial regions only, not in the {partition} partition; leave {key} out for this "
            "environment and use notificationEmails",
        )


@dataclass(frozen=True)
class PagingEndpoint:
    """One HTTPS subscriber of the paging topic: ``url`` is the URL itself, or a Secrets Manager dynamic
    reference that CloudFormation resolves at deploy (the template then holds the secret's name only)."""

    name: str
    url: str
    raw_message_delivery: bool = False
    literal_key: bool = False  # the URL as written in the config carries an integration key


def paging_endpoints(config: MonitorConfig) -> list[PagingEndpoint]:
    """The paging topic's subscribers from ``pagerduty``, ``opsgenie`` and ``httpsEndpoints``.

    A ``…Secret`` key becomes ``{{resolve:secretsmanager:<id>:SecretString:::}}``: "the secretsmanager
    dynamic reference can be used in all resource properties" and neither CloudFormation nor Secrets
    Manager logs the resolved value, though "the secret value may show up in the service whose resource
    it's being used in" — here SNS's subscription list, which shows each endpoint to whoever may list the
    topic's subscriptions.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
    """

    def url(literal: str | None, secret: str | None) -> str:
        return literal if literal is not None else SecretValue.secrets_manager(str(secret)).unsafe_unwrap()

    vendors = (("PagerDuty", config.pagerduty), ("Opsgenie", config.opsgenie))
    found = [
        PagingEndpoint(
            name,
            url(target.integration_url, target.integration_url_secret),
            literal_key=target.integration_url is not None,
        )
        for name, target in vendors
        if target is not None
    ]
    found.extend(
        PagingEndpoint(f"Https-{endpoint.name}", url(endpoint.url, endpoint.url_secret), endpoint.raw_message_delivery)
        for endpoint in config.https_endpoints
    )
    return found


class AlarmTopic(Construct):
    """The topic every alarm and OK action publishes to.

    CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed ``aws/sns`` key,
    so the topic gets its own key whose policy lets CloudWatch (for this account's alarms only)
    use it. The topic policy replaces SNS's default one, so it grants CloudWatch ``sns:Publish``
    itself, next to the SSL-only deny.

    With paging endpoints, a second topic (same key, same policy) takes only CloudWatch's alarm
    notifications: :meth:`page_on` adds it to each alarm's ALARM and OK actions.

    Attributes
    ----------
    topic, key, slack_channel (None without Slack), teams_channel and teams_role (None without Teams),
    paging_topic (None without paging endpoints)
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        emails: Sequence[str],
        slack: SlackTarget | None,
        teams: TeamsTarget | None = None,
        paging: Sequence[PagingEndpoint] = (),
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
        self.topic = self._alarm_topic("Topic", "Subnet IP monitor", alarms_of_this_account)
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.slack_channel: chatbot.SlackChannelConfiguration | None = None
        if slack is not None:
            refuse_chat_outside_chatbot(stack)
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
        self.teams_channel: chatbot.CfnMicrosoftTeamsChannelConfiguration | None = None
        self.teams_role: iam.Role | None = None
        if teams is not None:
            refuse_chat_outside_chatbot(stack, "teams")
            # The role Chatbot assumes for the channel; notifications need no permission, so it has none.
            self.teams_role = iam.Role(
                self,
                "TeamsRole",
                assumed_by=iam.ServicePrincipal(CHATBOT_PRINCIPAL),
                description="AWS Chatbot's role for the subnet monitor's Teams channel (notifications only)",
            )
            # L1 only: CDK has no L2 for Teams. Required: ConfigurationName, IamRoleArn, TeamId,
            # TeamsChannelId, TeamsTenantId; SnsTopicArns is what the channel is told about.
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-chatbot-microsoftteamschannelconfiguration.html
            self.teams_channel = chatbot.CfnMicrosoftTeamsChannelConfiguration(
                self,
                "Teams",
                configuration_name=account_unique_name(stack, "-teams-alarms", max_length=CHAT_CONFIGURATION_NAME_MAX),
                iam_role_arn=self.teams_role.role_arn,
                team_id=teams.team_id,
                teams_channel_id=teams.channel_id,
                teams_tenant_id=teams.tenant_id,
                sns_topic_arns=[self.topic.topic_arn],
                guardrail_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(CHAT_GUARDRAIL_POLICY).managed_policy_arn
                ],
                logging_level="ERROR",
            )
        self.paging_topic: sns.Topic | None = None
        if paging:
            self.paging_topic = self._alarm_topic("PagingTopic", "Subnet IP monitor paging", alarms_of_this_account)
            for endpoint in paging:
                # One construct per endpoint, named by it: UrlSubscription would name every dynamic reference
                # (a token) alike. Protocol HTTPS stated, as a token is no URL to read it from.
                sns.Subscription(
                    self,
                    endpoint.name,
                    topic=self.paging_topic,
                    endpoint=endpoint.url,
                    protocol=sns.SubscriptionProtocol.HTTPS,
                    raw_message_delivery=endpoint.raw_message_delivery,
                )
                if endpoint.literal_key:
                    Annotations.of(self.paging_topic).add_warning_v2(
                        SECRET_WARNING_ID,
                        f"{endpoint.name}: the integration URL, key included, is written into the template; "
                        "put it in Secrets Manager and give integrationUrlSecret instead",
                    )

    def _alarm_topic(self, id_: str, display_name: str, alarms_of_this_account: dict) -> sns.Topic:
        topic = sns.Topic(self, id_, display_name=display_name, master_key=self.key, enforce_ssl=True)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=alarms_of_this_account,
            )
        )
        return topic

    def page_on(self, alarms: Sequence[cloudwatch.Alarm]) -> None:
        """Add the paging topic to each alarm's ALARM and OK actions (nothing without paging endpoints):
        the pager opens an incident on ALARM and resolves it on OK."""
        if self.paging_topic is None:
            return
        action = actions.SnsAction(self.paging_topic)
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
