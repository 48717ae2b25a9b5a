"""``reclaim-enis`` on moto: a dry run deletes nothing, ``--apply`` deletes exactly the leaked VPC CNI
ENIs old enough, re-checks each one, and one failure does not stop the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fixtures.leaked_enis import LeakedEnis, cni_eni, seed_leaked_enis
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.enis import EniReclaimer
from subnet_monitor.cli import main
from subnet_monitor.core.leaks import classify
from tests.moto_estate import Vpc

CANDIDATE_FIELDS = {
    "network_interface_id",
    "subnet_id",
    "origin",
    "age_hours",
    "addresses",
    "deletable",
    "reason",
}
CLUSTER = "platform"


@pytest.fixture
def leaked(vpc: Vpc) -> tuple[str, LeakedEnis]:
    """A subnet with detached ENIs of every origin, an in-use ENI next to them, and a second subnet
    holding one more old CNI ENI of another cluster."""
    subnet = vpc.subnet()
    enis = seed_leaked_enis(vpc.ec2, subnet, now=datetime.now(UTC), cluster=CLUSTER)
    vpc.ec2.attach_network_interface(
        NetworkInterfaceId=vpc.ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"],
        InstanceId=vpc.instance(subnet),
        DeviceIndex=1,
    )
    return subnet, enis


def existing(ec2: Any) -> set[str]:
    return {eni["NetworkInterfaceId"] for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]}


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["reclaim-enis", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_dry_run_lists_every_detached_eni_and_deletes_nothing(
    vpc: Vpc, leaked: tuple[str, LeakedEnis], capsys: pytest.CaptureFixture[str]
) -> None:
    subnet, enis = leaked
    before = existing(vpc.ec2)

    code, result = run_json([], capsys)

    assert code == 0
    assert existing(vpc.ec2) == before
    assert set(result) == {"candidates", "deleted", "skipped", "failed", "errors"}
    assert result["deleted"] == result["skipped"] == result["failed"] == result["errors"] == []
    by_id = {c["network_interface_id"]: c for c in result["candidates"]}
    assert set(by_id) == enis.all  # the attached one is not a candidate
    assert all(set(c) >= CANDIDATE_FIELDS for c in result["candidates"])
    assert {by_id[i]["origin"] for i in enis.cni_old} == {"vpc_cni"}
    assert by_id[enis.ecs_task]["origin"] == "ecs"
    assert by_id[enis.lambda_requester_managed]["origin"] == "lambda"
    assert by_id[enis.unknown]["origin"] == "unknown"
    assert {i for i, c in by_id.items() if c["deletable"]} == set(enis.cni_old)
    assert by_id[enis.unknown]["age_hours"] is None
    assert by_id[enis.cni_old[0]]["age_hours"] == pytest.approx(30, abs=0.1)
    assert by_id[enis.cni_old[0]]["addresses"] == 5
    assert by_id[enis.cni_old[0]]["subnet_id"] == subnet


def test_apply_deletes_exactly_the_old_leaked_cni_enis(
    vpc: Vpc, leaked: tuple[str, LeakedEnis], capsys: pytest.CaptureFixture[str]
) -> None:
    _, enis = leaked
    before = existing(vpc.ec2)

    code, result = run_json(["--apply", "--older-than", "1h"], capsys)

    assert code == 0
    assert existing(vpc.ec2) == before - set(enis.cni_old)
    assert {d["network_interface_id"] for d in result["deleted"]} == set(enis.cni_old)
    assert sum(d["addresses"] for d in result["deleted"]) == 5 + 3
    assert result["failed"] == []


def test_a_threshold_keeps_enis_younger_than_it(
    vpc: Vpc, leaked: tuple[str, LeakedEnis], capsys: pytest.CaptureFixture[str]
) -> None:
    _, enis = leaked
    code, result = run_json(["--apply", "--older-than", "1d"], capsys)
    assert code == 0
    assert {d["network_interface_id"] for d in result["deleted"]} == {enis.cni_old[0]}
    assert enis.cni_old[1] in existing(vpc.ec2)


@pytest.mark.usefixtures("leaked")
def test_subnet_and_cluster_narrow_the_listing(vpc: Vpc, capsys: pytest.CaptureFixture[str]) -> None:
    other_subnet = vpc.subnet()
    elsewhere = cni_eni(vpc.ec2, other_subnet, created=datetime.now(UTC) - timedelta(hours=5), cluster="payments")

    _, in_subnet = run_json(["--subnet-id", other_subnet], capsys)
    assert [c["network_interface_id"] for c in in_subnet["candidates"]] == [elsewhere]

    # --cluster: the ENIs tagged for it anywhere (the cluster is not in EKS here: said on stderr, exit 1)
    code = main(["reclaim-enis", "--cluster", "payments", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "payments" in captured.err
    assert [c["network_interface_id"] for c in json.loads(captured.out)["candidates"]] == [elsewhere]


def test_text_output_names_each_eni_and_the_totals(
    leaked: tuple[str, LeakedEnis], capsys: pytest.CaptureFixture[str]
) -> None:
    _, enis = leaked
    assert main(["reclaim-enis", "--older-than", "1h"]) == 0
    out = capsys.readouterr().out
    for eni_id in enis.all:
        assert eni_id in out
    assert "6 detached ENIs" in out
    assert "2 would be deleted with --apply, freeing 8 addresses" in out
    assert "run again with --apply" in out


def test_an_eni_attached_between_listing_and_deleting_is_left_alone(
    aws: boto3.Session, vpc: Vpc, leaked: tuple[str, LeakedEnis]
) -> None:
    subnet, enis = leaked
    clients = AwsClients.from_session(aws)
    reclaimer = EniReclaimer(clients.ec2)
    now = datetime.now(UTC)
    candidates = [classify(e, now=now, older_than=timedelta(hours=1)) for e in reclaimer.detached()]
    # a node takes the first ENI back after the listing
    vpc.ec2.attach_network_interface(NetworkInterfaceId=enis.cni_old[0], InstanceId=vpc.instance(subnet), DeviceIndex=1)

    done = reclaimer.delete(candidates, now=now, older_than=timedelta(hours=1))

    assert [c.network_interface_id for c in done.deleted] == [enis.cni_old[1]]
    assert [eni_id for eni_id, _ in done.skipped] == [enis.cni_old[0]]
    assert "not detached" in done.skipped[0][1]
    assert enis.cni_old[0] in existing(vpc.ec2)


def test_one_failed_delete_does_not_stop_the_others(
    aws: boto3.Session, vpc: Vpc, leaked: tuple[str, LeakedEnis]
) -> None:
    _, enis = leaked
    clients = AwsClients.from_session(aws)
    refused = enis.cni_old[0]

    def refuse_one(params: dict[str, Any], **_: Any) -> None:
        # DeleteNetworkInterface's documented refusal of an ENI in use (API_DeleteNetworkInterface.html,
        # errors-overview.html: InvalidNetworkInterface.InUse), raised by the client for this one ID.
        if params.get("NetworkInterfaceId") == refused:
            raise ClientError(
                {"Error": {"Code": "InvalidNetworkInterface.InUse", "Message": f"{refused} is in use"}},
                "DeleteNetworkInterface",
            )

    clients.ec2.meta.events.register("before-parameter-build.ec2.DeleteNetworkInterface", refuse_one)
    reclaimer = EniReclaimer(clients.ec2)
    now = datetime.now(UTC)
    # the failing ENI first, so the other is deleted after the failure
    candidates = sorted(
        (classify(e, now=now, older_than=timedelta(hours=1)) for e in reclaimer.detached()),
        key=lambda c: c.network_interface_id != refused,
    )

    done = reclaimer.delete(candidates, now=now, older_than=timedelta(hours=1))

    assert [eni_id for eni_id, _ in done.failed] == [refused]
    assert "InUse" in done.failed[0][1]
    assert [c.network_interface_id for c in done.deleted] == [enis.cni_old[1]]
    assert existing(vpc.ec2) >= {refused} and enis.cni_old[1] not in existing(vpc.ec2)


@pytest.mark.parametrize("value", ["3x", "-1h", "1.5h", "0h"])
def test_a_bad_older_than_is_refused_naming_the_flag(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["reclaim-enis", f"--older-than={value}"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("subnet_monitor: error: --older-than:")
    assert err.count("\n") == 1


def test_a_failed_read_is_reported_and_the_other_reads_still_count(
    aws: boto3.Session, vpc: Vpc, leaked: tuple[str, LeakedEnis]
) -> None:
    subnet, enis = leaked
    clients = AwsClients.from_session(aws)

    def refuse_tag_reads(params: dict[str, Any], **_: Any) -> None:
        if any(f["Name"].startswith("tag:") for f in params.get("Filters", [])):
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeNetworkInterfaces"
            )

    clients.ec2.meta.events.register("before-parameter-build.ec2.DescribeNetworkInterfaces", refuse_tag_reads)
    reclaimer = EniReclaimer(clients.ec2)

    by_tag = reclaimer.detached(cluster=CLUSTER)
    in_subnet = reclaimer.detached(subnet_ids=[subnet])

    assert by_tag == []
    assert {e["NetworkInterfaceId"] for e in in_subnet} == enis.all
    [error] = reclaimer.errors
    assert CLUSTER in error.target
    assert "UnauthorizedOperation" in error.message
