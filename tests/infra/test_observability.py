"""CloudWatch cross-account observability: the sink in the monitoring account, links from the sources,
dashboards and alarms that group by account there, and nothing at all when the key is unset."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from infra.observability import LABEL_TEMPLATE, LINK_TEMPLATE, METRIC_FILTER, SHARED_RESOURCE_TYPES, Role
from subnet_monitor.core.config import ConfigError
from tests.infra.support import Built, build, flatten, only, resources

MONITORING = "999999999999"
SOURCE = "111111111111"
OTHER_SOURCE = "222222222222"
ORGANIZATION = "o-a1b2c3d4e5"
SINK_ARN = f"arn:aws:oam:eu-west-1:{MONITORING}:sink/a1b2c3d4-5678-90ab-cdef-123456789012"
OBSERVABILITY = {
    "monitoringAccount": MONITORING,
    "sourceAccounts": [SOURCE, OTHER_SOURCE],
    "organizationId": ORGANIZATION,
    "sinkArns": {"eu-west-1": SINK_ARN},
}
BLOCK = {
    "environments": [
        {"account": MONITORING, "region": "eu-west-1"},
        {"account": SOURCE, "region": "eu-west-1"},
        # A region with no sink in sinkArns: no link can be made there.
        {"account": OTHER_SOURCE, "region": "us-east-1"},
    ],
    "observability": OBSERVABILITY,
}
PER_ACCOUNT_STATUS = (
    'SELECT MAX(SubnetStatus) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY AWS.AccountId, SubnetId ORDER BY MAX() DESC'
)
# The verdict alarms of the monitoring account: each linked account's count, one contributor per account.
PER_ACCOUNT_AT_RISK = (
    'SELECT MAX(SubnetsAtRisk) FROM SCHEMA("Custom/VPC", service) GROUP BY AWS.AccountId ORDER BY MAX() DESC'
)
PER_ACCOUNT_CRITICAL = (
    'SELECT MAX(SubnetsCritical) FROM SCHEMA("Custom/VPC", service) GROUP BY AWS.AccountId ORDER BY MAX() DESC'
)
OAM_TYPES = ("AWS::Oam::Sink", "AWS::Oam::Link")


@pytest.fixture(scope="module")
def built() -> Built:
    return build(BLOCK)


@pytest.fixture(scope="module")
def monitoring(built) -> Template:
    return built.template(0)


@pytest.fixture(scope="module")
def source(built) -> Template:
    return built.template(1)


@pytest.fixture(scope="module")
def unlinked(built) -> Template:
    return built.template(2)


def alarm_expressions(template: Template) -> list[str]:
    return [
        metric["Expression"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        for metric in alarm["Properties"].get("Metrics", [])
        if "Expression" in metric
    ]


def dashboard_expressions(template: Template) -> list[str]:
    widgets = json.loads(flatten(only(template, "AWS::CloudWatch::Dashboard")["DashboardBody"]))["widgets"]
    return [
        metric[0]["expression"]
        for widget in widgets
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], dict)
    ]


def test_each_stack_knows_its_part(built):
    assert [stack.observability_role for stack in built.stacks] == [Role.MONITORING, Role.SOURCE, Role.NONE]


# --- the monitoring account -----------------------------------------------------------------------


def test_sink_only_in_the_monitoring_account(monitoring, source, unlinked):
    assert len(resources(monitoring, "AWS::Oam::Sink")) == 1
    assert resources(monitoring, "AWS::Oam::Link") == {}
    for template in (source, unlinked):
        assert resources(template, "AWS::Oam::Sink") == {}


def test_sink_policy_lets_the_listed_accounts_and_the_organization_link_metrics_and_logs_only(monitoring):
    # GIVEN the monitoring account's sink
    sink = only(monitoring, "AWS::Oam::Sink")
    assert sink["Name"] == f"SubnetMonitor-{MONITORING}-eu-west-1"
    accounts, organization = sink["Policy"]["Statement"]
    only_metrics_and_logs = {
        "ForAllValues:StringEquals": {"oam:ResourceTypes": ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]}
    }
    # THEN the listed accounts may create and update their links, for metrics and log groups only
    assert accounts == {
        "Sid": "SourceAccountsLink",
        "Effect": "Allow",
        "Principal": {"AWS": [SOURCE, OTHER_SOURCE]},
        "Action": ["oam:CreateLink", "oam:UpdateLink"],
        "Resource": "*",
        "Condition": only_metrics_and_logs,
    }
    # AND so may any principal of the organization, and no one outside it
    assert organization["Principal"] == "*"
    assert organization["Action"] == ["oam:CreateLink", "oam:UpdateLink"]
    assert organization["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}, **only_metrics_and_logs}


def test_sink_arn_is_a_stack_output(monitoring):
    sink_id = next(iter(resources(monitoring, "AWS::Oam::Sink")))
    output = monitoring.find_outputs("ObservabilitySinkArn")
    [value] = [item["Value"] for item in output.values()]
    assert value == {"Fn::GetAtt": [sink_id, "Arn"]}


def test_monitoring_alarms_count_per_account_and_the_dashboard_groups_by_account_and_subnet(monitoring):
    # The verdict alarms watch every linked account's counts, each account its own contributor
    assert sorted(alarm_expressions(monitoring)) == [PER_ACCOUNT_AT_RISK, PER_ACCOUNT_CRITICAL]
    graphs = dashboard_expressions(monitoring)
    assert f"{PER_ACCOUNT_STATUS} LIMIT 10" in graphs
    assert PER_ACCOUNT_AT_RISK in graphs
    assert (
        "SELECT MAX(SubnetsScanned) FROM SCHEMA(\"Custom/VPC\", service) WHERE service = 'subnet-monitor' "
        "GROUP BY AWS.AccountId"
    ) in graphs


def test_monitoring_account_with_an_existing_sink_creates_none_but_still_groups_by_account():
    # GIVEN a monitoring account that already holds the region's one sink
    block = {
        "environments": [{"account": MONITORING, "region": "eu-west-1"}],
        "observability": {"monitoringAccount": MONITORING, "createSink": False},
    }
    template = build(block).template()
    assert resources(template, "AWS::Oam::Sink") == {}
    assert PER_ACCOUNT_AT_RISK in alarm_expressions(template)


def test_organization_only_sink_policy_has_one_statement():
    block = {
        "environments": [{"account": MONITORING, "region": "eu-west-1"}],
        "observability": {"monitoringAccount": MONITORING, "organizationId": ORGANIZATION},
    }
    [statement] = only(build(block).template(), "AWS::Oam::Sink")["Policy"]["Statement"]
    assert statement["Sid"] == "OrganizationLinks"


# --- the source accounts --------------------------------------------------------------------------


def test_source_links_to_the_sink_of_its_region_sharing_custom_vpc_and_its_two_log_groups(source):
    # GIVEN a source account's stack in the sink's region
    link = only(source, "AWS::Oam::Link")
    # THEN it links to the configured sink, for metrics and log groups only, labelled with the account name
    assert link["SinkIdentifier"] == SINK_ARN
    assert link["ResourceTypes"] == ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]
    assert link["LabelTemplate"] == "$AccountName"
    # AND it shares only the Custom/VPC namespace
    assert link["LinkConfiguration"]["MetricConfiguration"] == {"Filter": "Namespace IN ('Custom/VPC')"}
    # AND only the collector's and the failure function's log groups, by their exact names
    collector_log_group, failure_log_group = sorted(resources(source, "AWS::Logs::LogGroup"))
    assert flatten(link["LinkConfiguration"]["LogGroupConfiguration"]["Filter"]) == (
        f"LogGroupName IN ('<{collector_log_group}>', '<{failure_log_group}>')"
    )


def test_source_keeps_its_own_count_alarms(source):
    # plain alarms on its own SubnetsAtRisk / SubnetsCritical, no query across accounts
    assert alarm_expressions(source) == []
    assert {"SubnetsAtRisk", "SubnetsCritical"} <= {
        alarm["Properties"].get("MetricName") for alarm in resources(source, "AWS::CloudWatch::Alarm").values()
    }
    assert not any("AWS.AccountId" in expression for expression in dashboard_expressions(source))


def test_source_in_a_region_without_a_sink_gets_no_link(unlinked):
    for type_ in OAM_TYPES:
        assert resources(unlinked, type_) == {}


# --- unset: nothing -------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [None, {"observability": None}], ids=["absent", "null"])
def test_nothing_is_created_when_unset(block):
    template = build(block).template()
    for type_ in OAM_TYPES:
        assert resources(template, type_) == {}
    assert template.find_outputs("ObservabilitySinkArn") == {}
    assert alarm_expressions(template) == []
    assert not any("AWS.AccountId" in expression for expression in dashboard_expressions(template))


# --- refused --------------------------------------------------------------------------------------


BAD_VALUES = [
    pytest.param("yes", "observability", "yes", id="not-an-object"),
    pytest.param({"sourceAccounts": [SOURCE]}, "observability.monitoringAccount", None, id="no-monitoring-account"),
    pytest.param({"monitoringAccount": "9999"}, "observability.monitoringAccount", "9999", id="short-account"),
    pytest.param(
        {"monitoringAccount": MONITORING, "sourceAccounts": ["12345"]},
        "observability.sourceAccounts",
        "12345",
        id="bad-source-account",
    ),
    pytest.param(
        {"monitoringAccount": MONITORING, "sourceAccounts": [MONITORING]},
        "observability.sourceAccounts",
        MONITORING,
        id="monitoring-account-as-source",
    ),
    pytest.param(
        {"monitoringAccount": MONITORING, "organizationId": "r-abcd"},
        "observability.organizationId",
        "r-abcd",
        id="bad-organization-id",
    ),
    pytest.param({"monitoringAccount": MONITORING}, "observability", {"monitoringAccount": MONITORING}, id="no-one"),
    pytest.param(
        {"monitoringAccount": MONITORING, "organizationId": ORGANIZATION, "sinkArns": {"eu-west-1": "sink-1"}},
        "observability.sinkArns.eu-west-1",
        "sink-1",
        id="not-a-sink-arn",
    ),
    pytest.param(
        {"monitoringAccount": MONITORING, "organizationId": ORGANIZATION, "sinkArns": {"us-east-1": SINK_ARN}},
        "observability.sinkArns.us-east-1",
        SINK_ARN,
        id="sink-in-another-region",
    ),
    pytest.param(
        {
            "monitoringAccount": "888888888888",
            "organizationId": ORGANIZATION,
            "sinkArns": {"eu-west-1": SINK_ARN},
        },
        "observability.sinkArns.eu-west-1",
        SINK_ARN,
        id="sink-of-another-account",
    ),
    pytest.param(
        {"monitoringAccount": MONITORING, "createSink": "no"}, "observability.createSink", "no", id="create-sink"
    ),
    pytest.param(
        {"monitoringAccount": MONITORING, "organizationId": ORGANIZATION, "sinkArn": SINK_ARN},
        "observability.sinkArn",
        SINK_ARN,
        id="unknown-key",
    ),
]


@pytest.mark.parametrize(("value", "key", "refused_value"), BAD_VALUES)
def test_bad_observability_value_stops_the_build_naming_key_and_value(value, key, refused_value):
    # GIVEN an observability value with one mistake
    # WHEN the app is built from it
    with pytest.raises(ConfigError) as refused:
        build({"observability": value})
    # THEN the error names the key and the value
    assert refused.value.key == key
    assert refused.value.value == refused_value
    assert str(refused.value).startswith(f"{key}: {refused_value!r} ")


def test_observability_without_a_known_account_is_refused():
    # GIVEN synth without credentials (the account is a deploy-time value) and no environments
    with pytest.raises(ConfigError) as refused:
        build({"observability": {"monitoringAccount": MONITORING, "organizationId": ORGANIZATION}}, account=None)
    # THEN the stack cannot tell whether it is the monitoring account, and says so
    assert refused.value.key == "observability"
    assert "environments" in refused.value.reason


# --- the StackSet link template -------------------------------------------------------------------


def test_stackset_link_template_is_lint_clean_and_shares_what_the_stacks_share():
    # GIVEN the plain CloudFormation template docs/observability.md deploys with a service-managed StackSet
    matches = lint_file(LINK_TEMPLATE, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
    template, errors = decode(str(LINK_TEMPLATE))
    assert not errors
    link = template["Resources"]["Link"]
    assert link["Type"] == "AWS::Oam::Link"
    properties = link["Properties"]
    # THEN it links to the SinkArn parameter with the same label and metric filter as the stacks' links
    assert properties["SinkIdentifier"] == {"Ref": "SinkArn"}
    assert properties["LabelTemplate"] == LABEL_TEMPLATE
    assert properties["LinkConfiguration"] == {"MetricConfiguration": {"Filter": METRIC_FILTER}}
    # AND shares metrics only (a subset of what the sink policy allows)
    assert properties["ResourceTypes"] == ["AWS::CloudWatch::Metric"]
    assert set(properties["ResourceTypes"]) <= set(SHARED_RESOURCE_TYPES)
    assert "Parameters" in template
    assert set(template["Parameters"]) == {"SinkArn"}
