"""AWS adapters of the failure path: the de-duplication gate (DynamoDB), the notifier (SNS), the
emitter of the scan's EKS health events (EventBridge) and the ENI-to-subnet read. Clients are
injected; they come from :mod:`subnet_monitor.aws.clients`' one retry policy."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from subnet_monitor.aws.batching import batched
from subnet_monitor.aws.clients import AWS_ERRORS, CLIENT_CONFIG
from subnet_monitor.aws.ec2 import EC2_FILTER_VALUES_MAX
from subnet_monitor.core.models import ScanError

if TYPE_CHECKING:
    from botocore.client import BaseClient

# The de-duplication table: one item per key, deleted by DynamoDB's TTL some time after it expires.
DEDUP_KEY_ATTRIBUTE = "pk"
DEDUP_EXPIRY_ATTRIBUTE = "expires_at"
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"

# PutEvents takes at most 10 entries a call.
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
PUT_EVENTS_MAX_ENTRIES = 10


@dataclass(frozen=True)
class FailureClients:
    """The clients the failure function uses."""

    ec2: BaseClient
    cloudwatch: BaseClient
    sns: BaseClient
    dynamodb: BaseClient

    @classmethod
    def from_session(cls, session: boto3.Session | None = None) -> FailureClients:
        session = session or boto3.Session()
        return cls(
            **{name: session.client(name, config=CLIENT_CONFIG) for name in ("ec2", "cloudwatch", "sns", "dynamodb")}
        )


class NotificationGate:
    """At most one notification per key per window: a conditional ``PutItem`` that succeeds only
    when no unexpired item holds the key.

    DynamoDB's TTL deletes expired items only eventually (typically within a few days), so the
    condition compares ``expires_at`` itself rather than relying on the item being gone.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
    """

    def __init__(self, client: BaseClient, table_name: str, window_seconds: int) -> None:
        self._client = client
        self._table = table_name
        self._window = window_seconds

    def claim(self, key: str, now: float) -> bool:
        """``True`` when this caller may notify for ``key`` now (and holds the window from now on).

        Raises
        ------
        ClientError, BotoCoreError
            when DynamoDB could not be asked (the caller decides what to do without the gate).
        """
        at = int(now)
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    DEDUP_KEY_ATTRIBUTE: {"S": key},
                    DEDUP_EXPIRY_ATTRIBUTE: {"N": str(at + self._window)},
                    "claimed_at": {"N": str(at)},
                },
                ConditionExpression="attribute_not_exists(#key) OR #expires <= :now",
                ExpressionAttributeNames={"#key": DEDUP_KEY_ATTRIBUTE, "#expires": DEDUP_EXPIRY_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": str(at)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED:
                return False
            raise
        return True

    def release(self, key: str, now: float) -> None:
        """Give the window back after a notification could not be sent, so the next failure tries
        again; only the claim made at ``now`` is removed."""
        self._client.delete_item(
            TableName=self._table,
            Key={DEDUP_KEY_ATTRIBUTE: {"S": key}},
            ConditionExpression="claimed_at = :at",
            ExpressionAttributeValues={":at": {"N": str(int(now))}},
        )


class FailureNotifier:
    """Publishes a notification to the stack's (KMS-encrypted) topic."""

    def __init__(self, client: BaseClient, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def publish(self, subject: str, message: Mapping[str, str], attributes: Mapping[str, str]) -> str:
        """The SNS message ID. The attributes let a subscription filter by ``subnet_id`` or ``signal``.

        ``message`` is one text per protocol, ``default`` for the protocols without their own, sent with
        ``MessageStructure=json`` (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html) exactly
        as ``failures.notify.sns_message_json`` writes it, which is what its size is counted on.
        """
        response = self._client.publish(
            TopicArn=self._topic,
            Subject=subject,
            Message=json.dumps(dict(message), ensure_ascii=False),
            MessageStructure="json",
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            },
        )
        return str(response["MessageId"])


class FailureEventEmitter:
    """Puts the scan's custom events on the account's default event bus, 10 entries a call."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def emit(self, entries: Iterable[Mapping[str, str]]) -> list[ScanError]:
        """What could not be put; every other entry is sent."""
        errors = []
        for batch in batched(list(entries), PUT_EVENTS_MAX_ENTRIES):
            try:
                response = self._client.put_events(Entries=[dict(entry) for entry in batch])
            except AWS_ERRORS as error:
                errors.append(
                    ScanError(source="events", target=f"PutEvents ({len(batch)} EKS health events)", message=str(error))
                )
                continue
            for entry, result in zip(batch, response.get("Entries", []), strict=False):
                if result.get("ErrorCode"):
                    errors.append(
                        ScanError(
                            source="events",
                            target=f"PutEvents {entry['DetailType']}",
                            message=f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}",
                        )
                    )
        return errors


def interface_subnets(client: BaseClient, interface_ids: Iterable[str]) -> dict[str, str]:
    """Subnet of each network interface, 200 IDs a call (a call that names only the interface, such
    as ``AssignPrivateIpAddresses``, is attributed through it)."""
    found: dict[str, str] = {}
    paginator = client.get_paginator("describe_network_interfaces")
    for batch in batched(sorted(set(interface_ids)), EC2_FILTER_VALUES_MAX):
        pages = paginator.paginate(Filters=[{"Name": "network-interface-id", "Values": list(batch)}])
        for page in pages:
            found.update({eni["NetworkInterfaceId"]: eni["SubnetId"] for eni in page["NetworkInterfaces"]})
    return found
