"""Account-wide names (dashboards, Chatbot configurations) carry the region, so the same stack deploys
in two regions of one account."""

from __future__ import annotations

import pytest

from tests.infra.support import ACCOUNT, build, only

SLACK = {"slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"}}


@pytest.fixture(scope="module")
def two_regions():
    # GIVEN the default stack (no environments listed) synthesized for two regions of one account
    return [build(SLACK, account=ACCOUNT, region=region).template() for region in ("eu-west-1", "eu-central-1")]


def test_the_default_stack_in_two_regions_of_one_account_names_its_dashboards_apart(two_regions):
    # THEN each dashboard and each Chatbot configuration has a name of its own
    dashboards = [only(t, "AWS::CloudWatch::Dashboard")["DashboardName"] for t in two_regions]
    assert dashboards == ["SubnetMonitor-eu-west-1", "SubnetMonitor-eu-central-1"]
    chats = [only(t, "AWS::Chatbot::SlackChannelConfiguration")["ConfigurationName"] for t in two_regions]
    assert chats == ["SubnetMonitor-eu-west-1-alarms", "SubnetMonitor-eu-central-1-alarms"]


def test_a_listed_environment_already_named_after_its_region_keeps_its_name():
    # GIVEN a listed environment, whose stack is SubnetMonitor-<account>-<region>
    built = build({"environments": [{"account": ACCOUNT, "region": "eu-west-1"}]})
    # THEN the dashboard is named after the stack, without the region twice
    assert only(built.template(), "AWS::CloudWatch::Dashboard")["DashboardName"] == f"SubnetMonitor-{ACCOUNT}-eu-west-1"


def test_an_environment_agnostic_stack_takes_the_region_at_deploy():
    # GIVEN no account or region at synth (cdk synth without credentials)
    name = only(build(None, account=None, region=None).template(), "AWS::CloudWatch::Dashboard")["DashboardName"]
    # THEN CloudFormation fills the region in
    assert name == {"Fn::Join": ["", ["SubnetMonitor-", {"Ref": "AWS::Region"}]]}
