"""scan --what-if on the demo's estate (moto): before and after on the reached subnets only, the table, the
HTML report's section, and the refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api import state_manager

from fixtures.estate import Estate, hold_ecs_tasks_running, seed_estate
from subnet_monitor.render.text import WHAT_IF_HEADING
from tests.support_cli import Run, moto_aws, run
from tests.support_html import parse_page

DEMO_CONFIG = str(Path(__file__).resolve().parents[2] / "demo" / "subnet-monitor.json")
GROW = "nodegroup:platform/general:maxSize=20"
# The demo's node group "general": maxSize 12, m5.xlarge (4 vCPUs), prefix delegation (the demo config). A node
# holds 1 ENI primary + 7 /28 prefixes: 108 pods (maxPods 110, the managed node group cap below 30 vCPUs, less 2
# host-network pods) need ceil(108 / 16) = 7, and growth stops at maxPods. 8 more nodes over its 2 zones.
PER_NODE = 1 + 7 * 16
MORE_PER_SUBNET = (20 - 12) * PER_NODE // 2


@dataclass
class Scanned:
    estate: Estate
    runs: dict[str, Run]

    def json(self, name: str) -> dict[str, dict[str, Any]]:
        return {subnet["subnet_id"]: subnet for subnet in json.loads(self.runs[name].out)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    """The demo estate, seeded once for the module, scanned as is and with what-ifs."""
    html = tmp_path_factory.mktemp("what-if") / "report.html"
    with moto_aws() as session:
        estate = seed_estate(session.client)
        hold_ecs_tasks_running()
        config = ("--config", DEMO_CONFIG)
        try:
            runs = {
                "as-is": run("scan", *config, "--json"),
                "grown": run("scan", *config, "--what-if", GROW, "--json"),
                "table": run("scan", *config, "--what-if", GROW),
                "report": run("report", *config, "--what-if", GROW, "--html", str(html)),
                "unknown": run("scan", *config, "--what-if", "nodegroup:platform/genral:maxSize=20"),
                "publish": run("scan", *config, "--what-if", GROW, "--publish"),
                "prefixes-off": run("scan", *config, "--what-if", "cluster:platform:prefixDelegation=false", "--json"),
            }
        finally:
            state_manager.unset_transition("ecs::task")
        runs["html"] = Run(0, html.read_text(encoding="utf-8"), "")
    yield Scanned(estate, runs)


def test_what_if_shows_before_and_after_on_the_reached_subnets_only(demo: Scanned) -> None:
    as_is, grown = demo.json("as-is"), demo.json("grown")
    assert demo.runs["grown"].code == 0
    nodes = {demo.estate.subnet_id("eks-nodes-a"), demo.estate.subnet_id("eks-nodes-b")}
    # THEN exactly the node group's subnets carry a what_if
    assert {s for s, subnet in grown.items() if "what_if" in subnet} == nodes
    for subnet_id in nodes:
        what_if = grown[subnet_id]["what_if"]
        # AND before is the estate as scanned without the flag
        before = {k: as_is[subnet_id][k] for k in ("ips_needed_at_max", "scale_headroom", "free_prefix_blocks")}
        assert what_if["before"] == {
            **before,
            "status": as_is[subnet_id]["status"],
            "finding_codes": what_if["before"]["finding_codes"],
        }
        assert what_if["before"]["finding_codes"] == [f["code"] for f in as_is[subnet_id]["finding_details"]]
        # AND after: 8 more nodes of 113 addresses, half in each zone; the same free /28 (nothing held changed)
        assert what_if["after"]["ips_needed_at_max"] == before["ips_needed_at_max"] + MORE_PER_SUBNET
        assert what_if["after"]["scale_headroom"] == before["scale_headroom"] - MORE_PER_SUBNET
        assert what_if["after"]["free_prefix_blocks"] == before["free_prefix_blocks"]
        assert what_if["changes"] == [
            {
                "spec": GROW,
                "workload": {"kind": "eks-nodegroup", "cluster": "platform", "name": "general"},
                "setting": "maxSize",
                "from": 12,
                "to": 20,
            }
        ]
        # AND the report's own figures are the after-state (what fix plans for)
        assert grown[subnet_id]["scale_headroom"] == what_if["after"]["scale_headroom"]
    # AND every other subnet is reported exactly as without the flag
    assert {s: subnet for s, subnet in grown.items() if s not in nodes} == {
        s: v for s, v in as_is.items() if s not in nodes
    }


def test_the_headroom_that_fitted_no_longer_does(demo: Scanned) -> None:
    subnet = demo.json("grown")[demo.estate.subnet_id("eks-nodes-a")]
    # eks-nodes-a (a /22) had room for the node group at maxSize 12, and is short at 20
    assert subnet["what_if"]["before"]["scale_headroom"] >= 0 > subnet["what_if"]["after"]["scale_headroom"]
    # AND the verdict moves with it: a subnet that cannot reach its maximum is a WARNING, and says why
    assert (subnet["what_if"]["before"]["status"], subnet["what_if"]["after"]["status"]) == ("OK", "WARNING")
    assert [r["code"] for r in subnet["status_reasons"]] == ["headroom.short-at-max"]
    assert "headroom.short-at-max" in subnet["what_if"]["after"]["finding_codes"]
    assert "headroom.short-at-max" not in subnet["what_if"]["before"]["finding_codes"]


def test_prefix_delegation_off_takes_the_subnets_out_of_the_28_search(demo: Scanned) -> None:
    reached = {s: v["what_if"] for s, v in demo.json("prefixes-off").items() if "what_if" in v}
    # THEN every subnet of the cluster's two node groups, and no other
    names = ("eks-nodes-a", "eks-nodes-b", "eks-nodes-c")
    assert set(reached) == {demo.estate.subnet_id(name) for name in names}
    for what_if in reached.values():
        assert "free_prefix_blocks" in what_if["before"] and "free_prefix_blocks" not in what_if["after"]
        assert what_if["after"]["ips_needed_at_max"] < what_if["before"]["ips_needed_at_max"]


def test_the_table_lists_each_change_and_each_reached_subnet(demo: Scanned) -> None:
    table = demo.runs["table"]
    assert table.code == 0
    section = table.out.split(WHAT_IF_HEADING, 1)[1].split("\n\nfindings", 1)[0].splitlines()
    assert section[1] == f"  {GROW}: maxSize 12 -> 20"
    rows = {line.split()[0]: line for line in section[3:]}
    grown = demo.json("grown")
    assert set(rows) == {s for s, subnet in grown.items() if "what_if" in subnet}
    for subnet_id, line in rows.items():
        before, after = grown[subnet_id]["what_if"]["before"], grown[subnet_id]["what_if"]["after"]
        assert f"{before['scale_headroom']} -> {after['scale_headroom']}" in line
        assert line.endswith("platform/general")


def test_the_html_report_has_the_before_after_section(demo: Scanned) -> None:
    assert demo.runs["report"].code == 0
    page = parse_page(demo.runs["html"].out)
    grown = demo.json("grown")
    reached = {s for s, subnet in grown.items() if "what_if" in subnet}
    assert "what-if" in page.ids
    assert {i.removeprefix("what-if-") for i in page.ids if i.startswith("what-if-")} == reached
    assert GROW in page.text


def test_a_workload_the_scan_did_not_find_exits_2_naming_it(demo: Scanned) -> None:
    unknown = demo.runs["unknown"]
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err == (
        "subnet_monitor: error: --what-if: 'nodegroup:platform/genral:maxSize=20' the scan found no EKS managed "
        "node group platform/genral (found: analytics/spark, platform/batch, platform/general)\n"
    )


def test_a_what_if_is_never_published(demo: Scanned) -> None:
    refused = demo.runs["publish"]
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("subnet_monitor: error: --what-if: cannot go with --publish")


@pytest.mark.parametrize("command", ["scan", "check", "report"])
def test_a_bad_spec_exits_2_before_any_aws_call(command: str) -> None:
    # No AWS here at all: the spec is refused first, naming the part that is wrong.
    extra = ["--html", "never-written.html"] if command == "report" else []
    refused = run(command, "--what-if", "nodegroup:prod/ng:maxSize=-1", *extra)
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == (
        "subnet_monitor: error: --what-if: 'nodegroup:prod/ng:maxSize=-1' maxSize must be a whole number, 0 or more\n"
    )
