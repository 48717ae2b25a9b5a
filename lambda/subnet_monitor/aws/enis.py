"""Reading detached ENIs and deleting the leaked ones: the only code that deletes anything.

CLI only (``reclaim-enis``), with the operator's credentials: ``ec2:DescribeNetworkInterfaces``
always, ``ec2:DeleteNetworkInterface`` with ``--apply``. The deployed monitor never calls this
module, and its role is granted no delete (tests/infra checks the synthesized stack).

Every ENI is judged by :func:`subnet_monitor.core.leaks.classify` twice: from the listing, and from
a fresh ``DescribeNetworkInterfaces`` of that one ENI just before ``DeleteNetworkInterface``, so an
ENI attached (or re-tagged) since the listing is left alone. One failed delete is recorded and the
others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from subnet_monitor.aws.batching import batched
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.ec2 import DESCRIBE_NETWORK_INTERFACES_PAGE_MAX, EC2_FILTER_VALUES_MAX
from subnet_monitor.core.consumers import STATUS_AVAILABLE, VPC_CNI_CLUSTER_TAG
from subnet_monitor.core.leaks import Candidate, Reclaimed, classify
from subnet_monitor.core.models import ScanError

if TYPE_CHECKING:
    from botocore.client import BaseClient

logger = logging.getLogger(__name__)

# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
ENI_NOT_FOUND = "InvalidNetworkInterfaceID.NotFound"
_STATUS_FILTER = {"Name": "status", "Values": [STATUS_AVAILABLE]}
# The status filter takes one of the 200 filter values a call allows.
SUBNET_IDS_PER_CALL = EC2_FILTER_VALUES_MAX - 1


class EniReclaimer:
    """Paginated reads of detached ENIs (``status=available`` filtered by EC2, 1,000 a page) and
    guarded deletes. A failed read is an :class:`ScanError` in ``errors``; the other reads go on."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client
        self.errors: list[ScanError] = []

    def detached(self, *, subnet_ids: Iterable[str] | None = None, cluster: str | None = None) -> list[dict[str, Any]]:
        """Detached ENIs: in ``subnet_ids`` (199 a call), else tagged for ``cluster``, else the region's.

        ``subnet_ids`` given as empty means none (a cluster whose subnets could not be found).
        """
        if subnet_ids is not None:
            found: list[dict[str, Any]] = []
            for batch in batched(sorted(set(subnet_ids)), SUBNET_IDS_PER_CALL):
                found += self._read(f"subnets {', '.join(batch)}", [{"Name": "subnet-id", "Values": list(batch)}])
            return found
        if cluster is not None:
            return self._read(
                f"ENIs tagged {VPC_CNI_CLUSTER_TAG}={cluster}",
                [{"Name": f"tag:{VPC_CNI_CLUSTER_TAG}", "Values": [cluster]}],
            )
        return self._read("the region's detached ENIs", [])

    def _read(self, target: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("describe_network_interfaces")
        try:
            pages = paginator.paginate(
                Filters=[_STATUS_FILTER, *filters],
                PaginationConfig={"PageSize": DESCRIBE_NETWORK_INTERFACES_PAGE_MAX},
            )
            return [eni for page in pages for eni in page["NetworkInterfaces"]]
        except AWS_ERRORS as error:
            self.errors.append(ScanError("ec2", f"DescribeNetworkInterfaces ({target})", str(error)))
            return []

    def delete(
        self,
        candidates: Sequence[Candidate],
        *,
        now: datetime,
        older_than: timedelta,
        cluster: str | None = None,
    ) -> Reclaimed:
        """Delete every deletable candidate that is still deletable on a fresh read.

        ``now`` is the listing's: a threshold met then is met now. Each deletion is logged at INFO
        with the ENI, its subnet and the addresses it freed.
        """
        done = Reclaimed()
        for candidate in candidates:
            if not candidate.deletable:
                continue
            eni_id = candidate.network_interface_id
            try:
                fresh = self._describe(eni_id)
                if fresh is None:
                    done.skipped.append((eni_id, "no longer exists"))
                    continue
                again = classify(fresh, now=now, older_than=older_than, cluster=cluster)
                if not again.deletable:
                    done.skipped.append((eni_id, f"changed since listed: {again.reason}"))
                    continue
                self._client.delete_network_interface(NetworkInterfaceId=eni_id)
            except AWS_ERRORS as error:
                done.failed.append((eni_id, str(error)))
                logger.warning("could not delete %s: %s", eni_id, error)
                continue
            done.deleted.append(again)
            logger.info(
                "deleted %s in %s: %d addresses freed",
                eni_id,
                again.subnet_id,
                again.addresses,
                extra={"network_interface_id": eni_id, "subnet_id": again.subnet_id, "addresses": again.addresses},
            )
        return done

    def _describe(self, eni_id: str) -> dict[str, Any] | None:
        """The ENI as EC2 describes it now; ``None`` when it is gone."""
        try:
            found = self._client.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == ENI_NOT_FOUND:
                return None
            raise
        return found[0] if found else None
