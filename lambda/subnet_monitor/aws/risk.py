"""What the collector keeps from one scan to the next, in the failure path's de-duplication table under its
own keys, one item per shard (core/risk.py ``shard_of``): which subnets it named in a notification
(``risk#0`` to ``risk#f``, core/risk.py) and the forecast's history (``history#0`` to ``history#f``,
core/history.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from subnet_monitor.aws.failures import DEDUP_EXPIRY_ATTRIBUTE, DEDUP_KEY_ATTRIBUTE, TableItems
from subnet_monitor.core import history
from subnet_monitor.core.forecast import Series
from subnet_monitor.core.risk import RECORD_RETENTION_SECONDS, SHARDS, Notified, decode, encode, shard_of

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Every key the collector's role may touch for these items starts with one of these (dynamodb:LeadingKeys).
RISK_KEY_PREFIX = "risk#"
HISTORY_KEY_PREFIX = "history#"
RECORDS_ATTRIBUTE = "subnets"
HISTORY_ATTRIBUTE = "points"
# BatchGetItem may leave keys unprocessed when it is throttled; they are asked again, this many times.
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
UNPROCESSED_ROUNDS = 5


class UnreadRecordsError(Exception):
    """Some shards could not be read: their subnets' last notifications are not known."""


class RiskRecords(TableItems):
    """Load and save :class:`Notified` records. Every method raises ``ClientError``/``BotoCoreError`` when
    DynamoDB could not be asked."""

    def load(self) -> dict[str, Notified]:
        """Every record (:func:`read_shards`).

        Raises
        ------
        UnreadRecordsError
            when keys are still unprocessed after :data:`UNPROCESSED_ROUNDS`.
        """
        records: dict[str, Notified] = {}
        for item in read_shards(self._client, self._table, RISK_KEY_PREFIX):
            if RECORDS_ATTRIBUTE in item:
                records.update(decode(item[RECORDS_ATTRIBUTE]["S"]))
        return records

    def save(self, before: Mapping[str, Notified], after: Mapping[str, Notified], now: float) -> None:
        """Write the shards whose records changed (``before`` as loaded, ``after`` to keep). Each carries
        ``expires_at`` for the table's TTL, past the records' retention."""
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


class HistoryRecords(TableItems):
    """Load and save the forecast's history (core/history.py): available addresses per subnet, the fewest in
    each 5-minute period of the last 6 hours. Every method raises ``ClientError``/``BotoCoreError`` when
    DynamoDB could not be asked."""

    def load(self, now: float) -> dict[str, Series]:
        """Every subnet's history within the window before ``now``, as ``(epoch seconds, available addresses)``
        points (an item TTL has not deleted yet may hold older ones).

        Raises
        ------
        UnreadRecordsError
            when keys are still unprocessed after :data:`UNPROCESSED_ROUNDS`.
        """
        found: dict[str, Series] = {}
        for item in read_shards(self._client, self._table, HISTORY_KEY_PREFIX):
            if HISTORY_ATTRIBUTE in item:
                # One shard at a time, so at most a shard's history is held twice (10,000 subnets: 12 MB whole).
                decoded = history.decode(item.pop(HISTORY_ATTRIBUTE)["B"])
                found.update((k, recent) for k, series in decoded.items() if (recent := history.within(series, now)))
        return found

    def save(self, histories: Mapping[str, Series], now: float) -> None:
        """Write every shard (a scan adds a point to every subnet it measured), each expiring (TTL) a window
        after ``now``: a monitor stopped longer than that has no history worth keeping."""
        for shard in SHARDS:
            self._client.put_item(
                TableName=self._table,
                Item={
                    DEDUP_KEY_ATTRIBUTE: {"S": f"{HISTORY_KEY_PREFIX}{shard}"},
                    HISTORY_ATTRIBUTE: {
                        "B": history.encode({k: v for k, v in histories.items() if shard_of(k) == shard})
                    },
                    DEDUP_EXPIRY_ATTRIBUTE: {"N": str(int(now) + history.WINDOW_SECONDS)},
                },
            )


def read_shards(client: BaseClient, table: str, prefix: str) -> list[dict]:
    """The 16 items ``prefix + shard``: one ``BatchGetItem`` (strongly consistent, so the scan before is seen),
    unprocessed keys asked again.

    Raises
    ------
    UnreadRecordsError
        when keys are still unprocessed after :data:`UNPROCESSED_ROUNDS`.
    """
    keys = [{DEDUP_KEY_ATTRIBUTE: {"S": f"{prefix}{shard}"}} for shard in SHARDS]
    items: list[dict] = []
    for _ in range(UNPROCESSED_ROUNDS):
        response = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
        items.extend(response.get("Responses", {}).get(table, []))
        keys = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not keys:
            return items
    raise UnreadRecordsError(f"{len(keys)} of {len(SHARDS)} items unprocessed after {UNPROCESSED_ROUNDS} tries")
