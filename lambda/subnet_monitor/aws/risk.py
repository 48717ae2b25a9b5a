"""The collector's record of which subnets it named in a notification (core/risk.py), kept in the failure
path's de-duplication table under its own keys: one item per shard, ``risk#0`` to ``risk#f``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import boto3

from subnet_monitor.aws.clients import CLIENT_CONFIG
from subnet_monitor.aws.failures import DEDUP_EXPIRY_ATTRIBUTE, DEDUP_KEY_ATTRIBUTE
from subnet_monitor.core.risk import RECORD_RETENTION_SECONDS, SHARDS, Notified, decode, encode, shard_of

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Every key the collector's role may touch for these records starts with this (dynamodb:LeadingKeys).
RISK_KEY_PREFIX = "risk#"
RECORDS_ATTRIBUTE = "subnets"
# BatchGetItem may leave keys unprocessed when it is throttled; they are asked again, this many times.
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
UNPROCESSED_ROUNDS = 5


class UnreadRecordsError(Exception):
    """Some shards could not be read: their subnets' last notifications are not known."""


class RiskRecords:
    """Load and save :class:`Notified` records. Every method raises ``ClientError``/``BotoCoreError`` when
    DynamoDB could not be asked."""

    def __init__(self, client: BaseClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @classmethod
    def for_table(cls, table_name: str, session: boto3.Session | None = None) -> RiskRecords:
        return cls((session or boto3.Session()).client("dynamodb", config=CLIENT_CONFIG), table_name)

    def load(self) -> dict[str, Notified]:
        """Every record: one ``BatchGetItem`` of the 16 items (strongly consistent, so the scan before is
        seen), unprocessed keys asked again.

        Raises
        ------
        UnreadRecordsError
            when keys are still unprocessed after :data:`UNPROCESSED_ROUNDS`.
        """
        keys = [{DEDUP_KEY_ATTRIBUTE: {"S": f"{RISK_KEY_PREFIX}{shard}"}} for shard in SHARDS]
        records: dict[str, Notified] = {}
        for _ in range(UNPROCESSED_ROUNDS):
            response = self._client.batch_get_item(RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}})
            for item in response.get("Responses", {}).get(self._table, []):
                if RECORDS_ATTRIBUTE in item:
                    records.update(decode(item[RECORDS_ATTRIBUTE]["S"]))
            keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            if not keys:
                return records
        raise UnreadRecordsError(f"{len(keys)} of {len(SHARDS)} items unprocessed after {UNPROCESSED_ROUNDS} tries")

    def save(self, before: Mapping[str, Notified], after: Mapping[str, Notified], now: float) -> int:
        """Write the shards whose records changed (``before`` as loaded, ``after`` to keep); the number of
        items written. Each carries ``expires_at`` for the table's TTL, past the records' retention."""
        written = 0
        for shard in SHARDS:
            old = {k: v for k, v in before.items() if shard_of(k) == shard}
            new = {k: v for k, v in after.items() if shard_of(k) == shard}
            if old == new:
                continue
            self._client.put_item(
                TableName=self._table,
                Item={
                    DEDUP_KEY_ATTRIBUTE: {"S": f"{RISK_KEY_PREFIX}{shard}"},
                    RECORDS_ATTRIBUTE: {"S": encode(new)},
                    DEDUP_EXPIRY_ATTRIBUTE: {"N": str(int(now) + RECORD_RETENTION_SECONDS)},
                },
            )
            written += 1
        return written
