"""Where notifications go, read from the synthesized template: Teams through AWS Chatbot next to Slack
and e-mail on the alarm topic; PagerDuty, Opsgenie and other HTTPS receivers on a paging topic that only
the alarms publish to, so a pager never receives the failure function's chat message."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Annotations, Match

from infra.notifications import CHAT_GUARDRAIL_POLICY, SECRET_WARNING_ID
from subnet_monitor.core.config import ConfigError
from tests.infra.support import build, flatten, only, resources

TEAM = "74361522-da01-538d-aa2e-ac7918c6bb92"
TENANT = "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
CHANNEL = "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"
OPSGENIE_URL = "https://api.eu.opsgenie.com/v1/json/cloudwatch?apiKey=5a6b7c8d-1111-2222-3333-444455556666"
ONCALL_URL = "https://oncall.example.com/integrations/v1/amazon_sns/Zx81/"
BLOCK = {
    "notificationEmails": ["platform@example.com"],
    "slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"},
    "teams": {"teamId": TEAM, "channelId": CHANNEL, "tenantId": TENANT},
    "pagerduty": {"integrationUrlSecret": "subnet-monitor/pagerduty"},
    "opsgenie": {"integrationUrl": OPSGENIE_URL},
    "httpsEndpoints": [
        {"name": "grafana-oncall", "url": ONCALL_URL, "rawMessageDelivery": True},
        {"name": "incident-io", "urlSecret": "subnet-monitor/incident-io"},
    ],
}


@pytest.fixture(scope="module")
def everything():
    built = build(BLOCK)
    return built.stacks[0], built.template()


@pytest.fixture(scope="module")
def default():
    return build(None).template()


def _topics(stack, template):
    alarm_topic = stack.resolve(stack.notifications.topic.topic_arn)["Ref"]
    paging_topic = stack.resolve(stack.notifications.paging_topic.topic_arn)["Ref"]
    return alarm_topic, paging_topic


def _subscriptions(template, topic_id):
    return sorted(
        (s["Properties"]["Protocol"], flatten(s["Properties"]["Endpoint"]), s["Properties"].get("RawMessageDelivery"))
        for s in resources(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id}
    )


def test_teams_channel_gets_the_alarm_topic_with_a_read_only_guardrail(everything):
    stack, template = everything
    alarm_topic, paging_topic = _topics(stack, template)
    teams = only(template, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration")
    assert (teams["TeamId"], teams["TeamsChannelId"], teams["TeamsTenantId"]) == (TEAM, CHANNEL, TENANT)
    # The chat channel hears what e-mail hears (alarms and the failure notifications), never the paging topic.
    assert teams["SnsTopicArns"] == [{"Ref": alarm_topic}]
    assert [flatten(p) for p in teams["GuardrailPolicies"]] == [
        f"arn:<AWS::Partition>:iam::aws:policy/{CHAT_GUARDRAIL_POLICY}"
    ]
    assert teams["LoggingLevel"] == "ERROR"
    # Its own name next to Slack's: both are account-wide.
    slack = only(template, "AWS::Chatbot::SlackChannelConfiguration")
    assert teams["ConfigurationName"] != slack["ConfigurationName"]
    # The role Chatbot assumes can do nothing: the channel only shows notifications.
    [role_id] = [
        k for k, v in resources(template, "AWS::IAM::Role").items() if {"Fn::GetAtt": [k, "Arn"]} == teams["IamRoleArn"]
    ]
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    assert paging_topic not in str(teams)


def test_pagers_subscribe_to_the_paging_topic_over_https(everything):
    stack, template = everything
    alarm_topic, paging_topic = _topics(stack, template)
    assert _subscriptions(template, paging_topic) == sorted(
        [
            # The secret stays in Secrets Manager: the template holds a reference CloudFormation resolves.
            ("https", "{{resolve:secretsmanager:subnet-monitor/pagerduty:SecretString:::}}", False),
            ("https", OPSGENIE_URL, False),
            ("https", ONCALL_URL, True),
            ("https", "{{resolve:secretsmanager:subnet-monitor/incident-io:SecretString:::}}", False),
        ]
    )
    # E-mail stays on the alarm topic, alone there with the chat channels.
    assert _subscriptions(template, alarm_topic) == [("email", "platform@example.com", None)]


def test_paging_topic_is_encrypted_ssl_only_and_only_cloudwatch_alarms_publish(everything):
    stack, template = everything
    alarm_topic, paging_topic = _topics(stack, template)
    topic = resources(template, "AWS::SNS::Topic")[paging_topic]["Properties"]
    key_id = stack.resolve(stack.notifications.key.key_arn)["Fn::GetAtt"][0]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    [policy] = [
        p["Properties"]
        for p in resources(template, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": paging_topic}]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    publishers = [s["Principal"] for s in statements if s["Effect"] == "Allow"]
    assert publishers == [{"Service": "cloudwatch.amazonaws.com"}]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    # The failure function publishes to the alarm topic only: its chat message never reaches a pager.
    function = resources(template, "AWS::Lambda::Function")[
        stack.get_logical_id(stack.failures.function.node.default_child)
    ]
    assert function["Properties"]["Environment"]["Variables"]["FAILURE_TOPIC_ARN"] == {"Ref": alarm_topic}
    role = resources(template, "AWS::IAM::Role")[stack.get_logical_id(stack.failures.role.node.default_child)]
    assert alarm_topic in str(role["Properties"]["Policies"])
    assert paging_topic not in str(role["Properties"]["Policies"])


def test_every_alarm_pages_on_alarm_and_resolves_on_ok(everything):
    stack, template = everything
    alarm_topic, paging_topic = _topics(stack, template)
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == len(stack.alarms.all) + len(stack.failures.alarms)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": alarm_topic}, {"Ref": paging_topic}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": alarm_topic}, {"Ref": paging_topic}]


def test_a_literal_integration_key_is_warned_about_a_secret_is_not(everything):
    stack, _ = everything
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(SECRET_WARNING_ID))
    texts = [w.entry.data for w in warnings]
    assert len(texts) == 1 and texts[0].startswith("Opsgenie:")


def test_without_the_keys_no_teams_no_paging_topic(default):
    assert resources(default, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration") == {}
    assert len(resources(default, "AWS::SNS::Topic")) == 1
    assert "PagingTopicArn" not in default.to_json()["Outputs"]


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_teams_in_a_region_without_aws_chatbot_stops_synth(region):
    block = {"teams": BLOCK["teams"], "environments": [{"account": "111111111111", "region": region}]}
    with pytest.raises(ConfigError) as refused:
        build(block)
    assert (refused.value.key, refused.value.value) == ("teams", region)
    assert "Microsoft Teams channel needs" in str(refused.value)


def test_paging_is_allowed_where_chatbot_is_not():
    # SNS HTTPS subscriptions exist in every partition: a GovCloud stack can page.
    block = {
        "pagerduty": {"integrationUrlSecret": "subnet-monitor/pagerduty"},
        "environments": [{"account": "111111111111", "region": "us-gov-west-1"}],
    }
    template = build(block).template()
    [subscription] = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "https"
