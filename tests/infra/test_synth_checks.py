"""Whole-app synth: cdk-nag (AwsSolutions) with every finding acknowledged, cfn-lint clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra.collector import UNSCOPED_READ_ACTIONS
from infra.nag import PLUGIN, acknowledgements
from tests.infra.support import Built, build

CONFIGS = {
    "defaults": None,
    "everything": {
        "schedule": "cron(0/10 * * * ? *)",
        "minFreeIps": 8,
        "cloudTrailFailures": True,
        "notificationEmails": ["platform@example.com"],
        "slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"},
        "teams": {
            "teamId": "74361522-da01-538d-aa2e-ac7918c6bb92",
            "channelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
            "tenantId": "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6",
        },
        "pagerduty": {"integrationUrlSecret": "subnet-monitor/pagerduty"},
        "opsgenie": {"integrationUrl": "https://api.opsgenie.com/v1/json/cloudwatch?apiKey=5a6b7c8d-1111-2222"},
        "httpsEndpoints": [{"name": "oncall", "url": "https://oncall.example.com/sns", "rawMessageDelivery": True}],
        "environments": [
            {"account": "111111111111", "region": "us-east-1"},
            {"account": "222222222222", "region": "eu-central-1"},
        ],
    },
    # The other partitions, without Slack (AWS Chatbot has no resource there: refused at synth,
    # tests/infra/test_regions.py): their own Powertools layer, every resource known to cfn-lint there.
    # Paging (SNS HTTPS subscriptions) exists there: a pager from a Secrets Manager reference.
    "china": {
        "environments": [{"account": "333333333333", "region": "cn-north-1"}],
        "pagerduty": {"integrationUrlSecret": "subnet-monitor/pagerduty"},
    },
    "govcloud": {
        "environments": [{"account": "444444444444", "region": "us-gov-west-1"}],
        "httpsEndpoints": [{"name": "oncall", "urlSecret": "subnet-monitor/oncall"}],
    },
    # Cross-account observability: the monitoring account's sink, a source's link, a source without one.
    "observability": {
        "environments": [
            {"account": "999999999999", "region": "eu-west-1"},
            {"account": "111111111111", "region": "eu-west-1"},
            {"account": "222222222222", "region": "us-east-1"},
        ],
        "observability": {
            "monitoringAccount": "999999999999",
            "sourceAccounts": ["111111111111", "222222222222"],
            "organizationId": "o-a1b2c3d4e5",
            "sinkArns": {"eu-west-1": "arn:aws:oam:eu-west-1:999999999999:sink/a1b2c3d4-5678-90ab-cdef-123456789012"},
        },
    },
}
# cfn-lint warnings the CDK produces on its own, each understood:
# W3005: CDK adds DependsOn on the function's role although Role: GetAtt already orders them.
EXPECTED_WARNINGS = {"W3005"}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict[str, tuple[Built, Path]]:
    result = {}
    for name, block in CONFIGS.items():
        outdir = tmp_path_factory.mktemp(name)
        built = build(block, outdir=outdir)
        built.synth()  # raises if cdk-nag reports a finding that is not acknowledged
        result[name] = (built, outdir)
    # The CLI without credentials: the account stays a deploy-time token.
    outdir = tmp_path_factory.mktemp("no-credentials")
    built = build(None, outdir=outdir, account=None, region="us-east-1")
    built.synth()
    result["no-credentials"] = (built, outdir)
    return result


@pytest.mark.parametrize("name", [*CONFIGS, "no-credentials"])
def test_cdk_nag_reports_no_unacknowledged_finding(synthesized, name):
    built, outdir = synthesized[name]
    report = json.loads((outdir / "validation-report.json").read_text())
    [nag] = [plugin for plugin in report["pluginReports"] if plugin["pluginName"] == PLUGIN]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    # Every acknowledgement matched a finding: none is stale, none is missing.
    suppressed = {violation["acknowledgedId"] for violation in nag["suppressedViolations"]}
    expected = {f"{PLUGIN}::{item.rule}" for stack in built.stacks for item in acknowledgements(stack)}
    assert suppressed == expected


def test_each_acknowledgement_names_the_actions_it_accepts(synthesized):
    built, _ = synthesized["defaults"]
    [stack] = built.stacks
    items = acknowledgements(stack)
    [wildcard] = [
        item
        for item in items
        if item.rule == "AwsSolutions-IAM5[Resource::*]" and item.construct is stack.collector.role
    ]
    for action in (*UNSCOPED_READ_ACTIONS, "ecs:ListServices", "ecs:ListTasks", "cloudwatch:PutMetricData"):
        assert f"{action}: " in wildcard.reason
    for arn, actions in stack.collector.arn_scoped_actions:
        [item] = [
            i
            for i in items
            if i.rule.endswith("/*]") and stack.resolve(arn) and i.reason.startswith(", ".join(actions))
        ]
        assert all(action in item.reason for action in actions)
    assert all(len(item.reason) > 80 for item in items)


def _templates(synthesized) -> list[tuple[Path, str]]:
    found = []
    for built, outdir in synthesized.values():
        for stack in built.stacks:
            found.append((outdir / stack.template_file, stack.region))
    return found


def test_cfn_lint_finds_no_error_in_any_template(synthesized):
    for template, region in _templates(synthesized):
        matches = lint_file(template, config=ManualArgs(regions=[region]))
        errors = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id.startswith("E")]
        assert errors == [], f"{template.name} in {region}"
        warnings = {m.rule.id for m in matches if not m.rule.id.startswith("E")}
        assert warnings <= EXPECTED_WARNINGS, f"{template.name}: unexplained cfn-lint findings {warnings}"
