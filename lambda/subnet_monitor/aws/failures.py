"""AWS adapters of the failure path: the de-duplication gate (DynamoDB), the notifier (SNS), the
emitter of the scan's EKS health events (EventBridge), the record of EKS health episodes (DynamoDB,
the same table) and the ENI-to-subnet read. Clients are injected; they come from
:mod:`subnet_monitor.aws.clients`' one retry policy."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

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

# The scan's EKS health episodes share the table; every key it touches starts with this, and the
# collector's role may touch no other (dynamodb:LeadingKeys).
EPISODE_KEY_PREFIX = "eks-health#"
LAST_SCAN_KEY = f"{EPISODE_KEY_PREFIX}last-scan"
SCAN_ATTRIBUTE = "scan"  # the counter on LAST_SCAN_KEY; on an issue, the last scan that saw it
# How long an episode (and the record of the last scan) outlives the last scan that saw it, only for
# the table's housekeeping: five weeks, longer than any gap between two scans of a rate() schedule
# (under 7 days, infra/timing.py) or of a monthly cron(), with Scheduler's retries (at most a day).
EPISODE_RETENTION_SECONDS = 35 * 86_400

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


class TopicNotifier:
    """Publishes a notification to the stack's (KMS-encrypted) topic: the failure path's, and the collector's
    naming the subnets at risk (subnet_monitor.alerts)."""

    def __init__(self, client: BaseClient, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    @classmethod
    def for_topic(cls, topic_arn: str, session: boto3.Session | None = None) -> TopicNotifier:
        """A notifier through a client with the one retry policy."""
        return cls((session or boto3.Session()).client("sns", config=CLIENT_CONFIG), topic_arn)

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


@dataclass
class Emitted:
    """What :meth:`FailureEventEmitter.emit` could not do: the errors, and the positions of the entries
    not put (their events are lost unless the caller tries again)."""

    errors: list[ScanError]
    not_put: set[int]


class FailureEventEmitter:
    """Puts the scan's custom events on the account's default event bus, 10 entries a call."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def emit(self, entries: Iterable[Mapping[str, str]]) -> Emitted:
        """Put every entry; say which could not be put, and why."""
        entries = list(entries)
        result = Emitted(errors=[], not_put=set())
        for number, batch in enumerate(batched(entries, PUT_EVENTS_MAX_ENTRIES)):
            start = number * PUT_EVENTS_MAX_ENTRIES
            try:
                response = self._client.put_events(Entries=[dict(entry) for entry in batch])
            except AWS_ERRORS as error:
                result.not_put.update(range(start, start + len(batch)))
                result.errors.append(
                    ScanError(source="events", target=f"PutEvents ({len(batch)} EKS health events)", message=str(error))
                )
                continue
            # PutEvents answers one entry per entry sent, in order; a failed one has an ErrorCode.
            # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
            for offset, (entry, answer) in enumerate(zip(batch, response.get("Entries", []), strict=False)):
                if answer.get("ErrorCode"):
                    result.not_put.add(start + offset)
                    result.errors.append(
                        ScanError(
                            source="events",
                            target=f"PutEvents {entry['DetailType']}",
                            message=f"{answer['ErrorCode']}: {answer.get('ErrorMessage', '')}",
                        )
                    )
        return result


class TableItems:
    """Items of the de-duplication table under one owner's keys (the EKS health episodes here; what the
    collector keeps from scan to scan, aws/risk.py)."""

    def __init__(self, client: BaseClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @classmethod
    def for_table(cls, table_name: str, session: boto3.Session | None = None) -> Self:
        """The items of ``table_name``, through a client with the one retry policy."""
        return cls((session or boto3.Session()).client("dynamodb", config=CLIENT_CONFIG), table_name)


class HealthEpisodes(TableItems):
    """Which scan last saw each EKS health issue: enough to tell an issue that persists from one that is
    back (docs/failures.md, "Episodes"). Scans are numbered by a counter in the table, so "the previous
    scan" does not depend on the schedule or on clocks.

    Items live in the de-duplication table under :data:`EPISODE_KEY_PREFIX`; each write sets
    ``expires_at`` :data:`EPISODE_RETENTION_SECONDS` ahead for DynamoDB's TTL. TTL deletes only
    eventually, so a read treats an item past ``expires_at`` as absent.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html

    Every method raises ``ClientError``/``BotoCoreError`` when DynamoDB could not be asked.
    """

    def begin_scan(self, now: float) -> int:
        """This scan's number: one more than the scan before (1 for the first).

        An atomic counter: ``ADD`` on a number attribute, the new value returned by ``UPDATED_NEW``
        (``ADD`` on a missing item or attribute starts from 0).
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
        """
        response = self._client.update_item(
            TableName=self._table,
            Key={DEDUP_KEY_ATTRIBUTE: {"S": LAST_SCAN_KEY}},
            UpdateExpression="ADD #scan :one SET #expires = :expires",
            ExpressionAttributeNames={"#scan": SCAN_ATTRIBUTE, "#expires": DEDUP_EXPIRY_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": _expiry(now)},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"][SCAN_ATTRIBUTE]["N"])

    def last_seen(self, key: str, now: float) -> int | None:
        """The number of the last scan that saw the issue ``key`` (``None``: none, or too long ago)."""
        item = self._client.get_item(
            TableName=self._table, Key={DEDUP_KEY_ATTRIBUTE: {"S": key}}, ConsistentRead=True
        ).get("Item")
        if not item or SCAN_ATTRIBUTE not in item:
            return None
        if DEDUP_EXPIRY_ATTRIBUTE in item and int(item[DEDUP_EXPIRY_ATTRIBUTE]["N"]) <= int(now):
            return None
        return int(item[SCAN_ATTRIBUTE]["N"])

    def seen(self, key: str, scan: int, now: float, description: str) -> None:
        """Record that scan number ``scan`` saw the issue ``key``; ``description`` says which issue, for
        a person reading the table."""
        self._client.update_item(
            TableName=self._table,
            Key={DEDUP_KEY_ATTRIBUTE: {"S": key}},
            UpdateExpression="SET #scan = :scan, #expires = :expires, #issue = :issue",
            ExpressionAttributeNames={"#scan": SCAN_ATTRIBUTE, "#expires": DEDUP_EXPIRY_ATTRIBUTE, "#issue": "issue"},
            ExpressionAttributeValues={
                ":scan": {"N": str(scan)},
                ":expires": _expiry(now),
                ":issue": {"S": description},
            },
        )


def _expiry(now: float) -> dict[str, str]:
    return {"N": str(int(now) + EPISODE_RETENTION_SECONDS)}


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
