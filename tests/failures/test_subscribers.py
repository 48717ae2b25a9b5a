"""What each subscriber receives, on moto: the stack's topics and subscriptions taken from the synthesized
template, the chat channel subscribed as AWS Chatbot subscribes, a failure notified by the real event
function and an alarm notification published as CloudWatch publishes it; every HTTPS delivery is caught
at its URL and read back."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import boto3
import pytest
import responses
from moto.core.models import responses_mock

from fixtures import failure_samples as samples
from fixtures.failure_stack import LocalFailureStack
from tests.moto_estate import REGION, Vpc

PAGERDUTY_URL = "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"
OPSGENIE_URL = "https://api.opsgenie.com/v1/json/cloudwatch?apiKey=5a6b7c8d-1111-2222-3333-444455556666"
# AWS Chatbot subscribes a channel's topics over HTTPS at this endpoint (failures/notify.py).
CHATBOT_URL = "https://global.sns-api.chatbot.amazonaws.com/"
BLOCK = {
    "notificationEmails": ["platform@example.com"],
    "slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"},
    "pagerduty": {"integrationUrl": PAGERDUTY_URL},
    "opsgenie": {"integrationUrl": OPSGENIE_URL},
    "environments": [{"account": "123456789012", "region": REGION}],
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    from tests.infra.support import build  # noqa: PLC0415 - CDK only for this module's one synth

    return build(BLOCK).template().to_json()


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == type_}


class Deployed:
    """The template's topics and subscriptions in moto (the failure stack's topic stands for the one the
    failure function publishes to), and what each HTTPS endpoint was sent."""

    def __init__(self, aws: boto3.Session, template: dict[str, Any], stack: LocalFailureStack) -> None:
        self.sns = aws.client("sns")
        self.template = template
        [failure_topic] = {
            f["Environment"]["Variables"]["FAILURE_TOPIC_ARN"]["Ref"]
            for f in _of_type(template, "AWS::Lambda::Function").values()
            if "FAILURE_TOPIC_ARN" in f.get("Environment", {}).get("Variables", {})
        }
        self.topics = {
            topic_id: stack.topic_arn if topic_id == failure_topic else self.sns.create_topic(Name=topic_id)["TopicArn"]
            for topic_id in _of_type(template, "AWS::SNS::Topic")
        }
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for subscription in _of_type(template, "AWS::SNS::Subscription").values():
            self._subscribe(subscription["TopicArn"]["Ref"], subscription["Protocol"], subscription["Endpoint"])
        for chat in _of_type(template, "AWS::Chatbot::SlackChannelConfiguration").values():
            for topic in chat["SnsTopicArns"]:
                self._subscribe(topic["Ref"], "https", CHATBOT_URL)

    def _subscribe(self, topic_id: str, protocol: str, endpoint: str) -> None:
        if protocol == "https":
            responses_mock.add_callback(responses.POST, endpoint, callback=self._catch(endpoint))
        self.sns.subscribe(TopicArn=self.topics[topic_id], Protocol=protocol, Endpoint=endpoint)

    def _catch(self, url: str):
        def caught(request: Any) -> tuple[int, dict[str, str], str]:
            self.received[url].append(json.loads(request.body))
            return 200, {}, ""

        return caught

    def alarm_fires(self, logical_id: str) -> str:
        """Publish an alarm's ALARM notification to each of its alarm actions, as CloudWatch does: the
        alarm as JSON, no message attributes, subject ``ALARM: "<name>" in <region name>``. (moto runs no
        alarm actions.) Fields as in the SNS HTTP/S notification of a CloudWatch alarm:
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html"""
        alarm = _of_type(self.template, "AWS::CloudWatch::Alarm")[logical_id]
        name = alarm["AlarmName"]
        message = {
            "AlarmName": name,
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": "123456789012",
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).",
            "StateChangeTime": "2026-12-02T10:00:00.000+0000",
            "Region": "US East (N. Virginia)",
            "AlarmArn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{name}",
            "OldStateValue": "OK",
        }
        for action in alarm["AlarmActions"]:
            self.sns.publish(
                TopicArn=self.topics[action["Ref"]],
                Subject=f'ALARM: "{name}" in US East (N. Virginia)',
                Message=json.dumps(message),
            )
        return name


@pytest.fixture
def deployed(aws: boto3.Session, template: dict[str, Any], stack: LocalFailureStack) -> Deployed:
    return Deployed(aws, template, stack)


def _messages(envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert all(e["Type"] == "Notification" for e in envelopes)  # SNS's envelope around each message
    return [json.loads(e["Message"]) for e in envelopes]


def test_a_failure_reaches_chat_as_a_custom_notification_and_no_pager(deployed, failures, vpc: Vpc):
    subnet = vpc.subnet(prefix=27, az="us-east-1a")
    vpc.consume(subnet, 25)
    # WHEN the event function notifies an ECS task that got no address
    result = failures(samples.rehome(samples.ecs_task_stopped(subnet), "123456789012", REGION))
    assert result.summary["notified"] == 1
    # THEN the chat channel gets the protocol's own message: a Chatbot custom notification it can render
    [chat] = _messages(deployed.received[CHATBOT_URL])
    assert (chat["version"], chat["source"]) == ("1.0", "custom")
    assert chat["content"]["title"] == f"IP exhaustion: {subnet} (`us-east-1a`)"
    # AND no pager is sent it: it is not an alarm their CloudWatch integrations could open or resolve
    assert deployed.received[PAGERDUTY_URL] == []
    assert deployed.received[OPSGENIE_URL] == []


def test_an_alarm_reaches_pagers_as_cloudwatch_alarm_json_and_chat_too(deployed):
    alarms = _of_type(deployed.template, "AWS::CloudWatch::Alarm")
    critical = next(logical_id for logical_id in alarms if "Critical" in logical_id)
    # WHEN CloudWatch puts the per-subnet critical alarm into ALARM
    name = deployed.alarm_fires(critical)
    # THEN each pager gets it once, in SNS's envelope, as the alarm JSON their integrations key on:
    # the subject's state, NewStateValue, and AlarmName (the incident's key, resolved by the OK to come)
    for url in (PAGERDUTY_URL, OPSGENIE_URL):
        [envelope] = deployed.received[url]
        assert envelope["Subject"].startswith("ALARM: ")
        [alarm] = _messages([envelope])
        assert (alarm["AlarmName"], alarm["NewStateValue"]) == (name, "ALARM")
    # AND the chat channel shows the same alarm (Chatbot renders CloudWatch alarms itself), once
    [chat] = _messages(deployed.received[CHATBOT_URL])
    assert chat["AlarmName"] == name
