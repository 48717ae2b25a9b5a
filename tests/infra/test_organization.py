"""The ``organization`` key: one service-managed StackSet rolls the monitor out to an AWS Organization.

Synthesized once (module fixture) with two regions from a delegated administrator, then checked the
way CloudFormation and the member accounts would meet it: the StackSet resource, the member template
(the collector, its code in the organization-readable bucket of the region it runs in, the layer of
that region), the code buckets, cdk-nag and cfn-lint.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file

from infra.collector import HANDLER
from infra.nag import PLUGIN, acknowledgements
from infra.organization import CODE_BUCKET_STACK_ID, ORGANIZATION_STACK_ID, CodeBucketStack, OrganizationStack
from infra.powertools import COMMERCIAL_LAYER_ACCOUNT, layer_name
from subnet_monitor.core.config import ConfigError
from tests.infra.support import build

ADMIN = "111111111111"
ORGANIZATION_ID = "o-a1b2c3d4e5"
OUS = ["ou-ab12-cdef5678", "ou-ab12-9876fedc"]
REGIONS = ["eu-west-1", "us-east-2"]
ORGANIZATION = {
    "organizationId": ORGANIZATION_ID,
    "administratorAccount": ADMIN,
    "administratorRegion": "us-east-1",
    "callAs": "DELEGATED_ADMIN",
    "targets": {"organizationalUnitIds": OUS},
    "regions": REGIONS,
}
# cfn-lint warnings the CDK produces on its own (as in test_synth_checks.py): W3005, DependsOn on a
# function's role although Role: GetAtt already orders them.
EXPECTED_WARNINGS = {"W3005"}


def _block(**organization: Any) -> dict[str, Any]:
    return {"notificationEmails": ["platform@example.com"], "organization": {**ORGANIZATION, **organization}}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("organization")
    built = build(_block(), outdir=outdir)
    built.synth()  # raises on a cdk-nag finding that is not acknowledged
    return built, outdir


def _org_stack(built) -> OrganizationStack:
    return built.app.node.find_child(ORGANIZATION_STACK_ID)


def _template(outdir: Path, name: str) -> dict[str, Any]:
    return json.loads((outdir / name).read_text())


def _member(built, outdir) -> dict[str, Any]:
    return _template(outdir, _org_stack(built).member.template_file)


def _of_type(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == type_]


def test_the_stack_set_is_service_managed_and_follows_the_organization(synthesized):
    built, outdir = synthesized
    parent = _template(outdir, f"{ORGANIZATION_STACK_ID}.template.json")
    [stack_set] = _of_type(parent, "AWS::CloudFormation::StackSet")
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["CallAs"] == "DELEGATED_ADMIN"
    [group] = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"]["OrganizationalUnitIds"] == OUS
    assert group["Regions"] == REGIONS
    # The member template creates IAM roles: without the capability CloudFormation refuses it.
    assert stack_set["Capabilities"] == ["CAPABILITY_IAM"]
    # The StackSet lives in the administrator account and region.
    org = _org_stack(built)
    assert (org.account, org.region) == (ADMIN, "us-east-1")


def test_member_template_runs_the_collector_with_its_code_from_the_bucket_of_its_own_region(synthesized):
    built, outdir = synthesized
    member = _member(built, outdir)
    [collector] = [f for f in _of_type(member, "AWS::Lambda::Function") if f["Handler"] == HANDLER]
    code = collector["Code"]
    # Lambda reads code only from a bucket in the function's region: the name follows AWS::Region.
    assert code["S3Bucket"] == {"Fn::Join": ["-", [f"subnet-monitor-code-{ADMIN}", {"Ref": "AWS::Region"}]]}
    # The copy the administrator stack makes into each listed region's bucket is that very object.
    parent = _template(outdir, f"{ORGANIZATION_STACK_ID}.template.json")
    copies = _of_type(parent, "Custom::CDKBucketDeployment")
    assert sorted(c["DestinationBucketName"] for c in copies) == sorted(
        f"subnet-monitor-code-{ADMIN}-{region}" for region in REGIONS
    )
    assert all(code["S3Key"] in c["SourceObjectKeys"] for c in copies)
    # The public Powertools layer of the region the stack instance runs in.
    [layer] = collector["Layers"]
    assert layer == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":lambda:",
                {"Ref": "AWS::Region"},
                f":{COMMERCIAL_LAYER_ACCOUNT}:layer:{layer_name()}:40",
            ],
        ]
    }


def test_member_template_names_no_account_or_region_of_its_own(synthesized):
    # One template for every account and region: a literal one would point them all at the same place.
    built, outdir = synthesized
    text = json.dumps(_member(built, outdir))
    for region in (*REGIONS, "us-east-1"):
        assert region not in text
    assert text.count(ADMIN) == text.count(f"subnet-monitor-code-{ADMIN}")  # only in the code bucket's name
    # No observability link: its sink ARN is per region and per monitoring account (the link StackSet's job).
    assert "AWS::Oam::Link" not in text


def test_each_region_has_a_code_bucket_the_organization_and_no_one_else_may_read(synthesized):
    built, outdir = synthesized
    for region in REGIONS:
        stack = built.app.node.find_child(f"{CODE_BUCKET_STACK_ID}-{region}")
        assert isinstance(stack, CodeBucketStack)
        assert (stack.account, stack.region) == (ADMIN, region)
        template = _template(outdir, stack.template_file)
        [bucket] = _of_type(template, "AWS::S3::Bucket")
        assert bucket["BucketName"] == f"subnet-monitor-code-{ADMIN}-{region}"
        # SSE-S3: member accounts could not decrypt with the administrator's AWS managed KMS key.
        [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        [policy] = _of_type(template, "AWS::S3::BucketPolicy")
        allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        [read] = allows
        assert read["Action"] == "s3:GetObject"
        assert read["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}


def test_cdk_nag_passes_with_every_acknowledgement_used(synthesized):
    built, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    [nag] = [plugin for plugin in report["pluginReports"] if plugin["pluginName"] == PLUGIN]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    suppressed = {v["acknowledgedId"] for v in nag["suppressedViolations"]}
    stacks = [
        *built.stacks,
        _org_stack(built),
        *(built.app.node.find_child(f"{CODE_BUCKET_STACK_ID}-{r}") for r in REGIONS),
    ]
    expected = {f"{PLUGIN}::{item.rule}" for stack in stacks for item in acknowledgements(stack)}
    assert suppressed == expected


def test_cfn_lint_finds_no_error_in_the_organization_templates(synthesized):
    built, outdir = synthesized
    org = _org_stack(built)
    templates = [
        (outdir / org.template_file, ["us-east-1"]),
        # The member template, in every region the StackSet deploys it to.
        (outdir / org.member.template_file, REGIONS),
        *((outdir / f"{CODE_BUCKET_STACK_ID}-{r}.template.json", [r]) for r in REGIONS),
    ]
    for template, regions in templates:
        matches = lint_file(template, config=ManualArgs(regions=regions))
        errors = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id.startswith("E")]
        assert errors == [], template.name
        warnings = {m.rule.id for m in matches if not m.rule.id.startswith("E")}
        assert warnings <= EXPECTED_WARNINGS, f"{template.name}: unexplained cfn-lint findings {warnings}"


def test_without_the_key_there_is_no_stack_set():
    built = build(None)
    assert built.app.node.try_find_child(ORGANIZATION_STACK_ID) is None


def test_auto_deployment_can_be_turned_off():
    built = build(_block(autoDeployment=False, callAs="SELF"))
    template = Template.from_stack(_org_stack(built)).to_json()
    [props] = _of_type(template, "AWS::CloudFormation::StackSet")
    assert props["AutoDeployment"]["Enabled"] is False
    assert props.get("CallAs", "SELF") == "SELF"


@pytest.mark.parametrize(
    ("change", "key", "value"),
    [
        pytest.param(
            {"targets": {"organizationalUnitIds": []}}, "organization.targets.organizationalUnitIds", [], id="no-ou"
        ),
        pytest.param({"targets": {}}, "organization.targets.organizationalUnitIds", None, id="targets-without-ous"),
        pytest.param(
            {"targets": {"organizationalUnitIds": ["ou-x"]}},
            "organization.targets.organizationalUnitIds",
            "ou-x",
            id="bad-ou",
        ),
        pytest.param({"regions": []}, "organization.regions", [], id="no-region"),
        # Regions Powertools publishes no layer in from its commercial account: one opened after the
        # table, a China and a GovCloud region (their own accounts, another partition).
        pytest.param({"regions": ["eu-west-1", "ap-east-2"]}, "organization.regions", "ap-east-2", id="no-layer"),
        pytest.param({"regions": ["cn-north-1"]}, "organization.regions", "cn-north-1", id="china"),
        pytest.param(
            {"administratorRegion": "us-gov-west-1"},
            "organization.administratorRegion",
            "us-gov-west-1",
            id="admin-govcloud",
        ),
        pytest.param(
            {"autoDeployment": False, "retainStacksOnAccountRemoval": True},
            "organization.retainStacksOnAccountRemoval",
            True,
            id="retain-without-auto-deployment",
        ),
        pytest.param({"callAs": "ADMIN"}, "organization.callAs", "ADMIN", id="call-as"),
        pytest.param({"organizationId": "a1b2c3"}, "organization.organizationId", "a1b2c3", id="organization-id"),
    ],
)
def test_bad_organization_config_stops_the_build_naming_key_and_value(change, key, value):
    with pytest.raises(ConfigError) as refused:
        build(_block(**change))
    assert refused.value.key == key
    assert refused.value.value == value


def test_member_template_is_the_monitor_a_cdk_deploy_stack_holds(synthesized):
    # The same resources (an event rule's permission names its stack's path in its logical ID, so
    # compare resource types and counts): an account gets the same monitor either way.
    built, outdir = synthesized
    [per_account] = built.stacks
    stack_resources = _template(outdir, per_account.template_file)["Resources"]
    member_resources = _member(built, outdir)["Resources"]
    assert Counter(r["Type"] for r in member_resources.values()) == Counter(r["Type"] for r in stack_resources.values())
    [collector] = [f for f in _of_type(_member(built, outdir), "AWS::Lambda::Function") if f["Handler"] == HANDLER]
    [own] = [
        f
        for f in _of_type(_template(outdir, per_account.template_file), "AWS::Lambda::Function")
        if f["Handler"] == HANDLER
    ]
    assert collector["Environment"] == own["Environment"]


def test_the_stack_set_goes_to_the_clis_region_unless_one_is_named():
    organization = {key: value for key, value in ORGANIZATION.items() if key != "administratorRegion"}
    built = build({"organization": organization}, region="eu-central-1")
    assert _org_stack(built).region == "eu-central-1"
