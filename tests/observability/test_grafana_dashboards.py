"""examples/grafana: the two dashboards import anywhere (data source as a variable), query only what
the exporter and the collector publish, and show every widget of the stack's CloudWatch dashboard."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.dashboard import SUBNET_TABLE_QUERY, TOP_SUBNETS, top_subnets_query
from subnet_monitor.core.metrics import (
    AVAILABLE_IP_COUNT,
    DIMENSION_SUBNET,
    FREE_PREFIX_BLOCKS,
    HOURS_TO_EXHAUSTION,
    IP_EXHAUSTION_FAILURES,
    IP_UTILIZATION,
    NAMESPACE,
    NOTIFICATION_ERRORS,
    PUBLISHED,
    SCALE_HEADROOM,
    SCAN_DURATION,
    SCAN_ERRORS,
    SERVICE,
    SUBNET_STATUS,
    SUBNETS_AT_RISK,
    SUBNETS_CRITICAL,
    SUBNETS_SCANNED,
    UNPARSED_EVENTS,
    MetricSet,
)
from tests.observability.contract import (
    ALERTS_LABELS,
    GRAFANA,
    KNOWN_LABELS,
    METRICS,
    NO_PROMTOOL,
    RULE_TESTS,
    TARGET_LABELS,
    labels_in,
    names_in,
    promtool,
    selector_problems,
)

PROMETHEUS_BOARD = GRAFANA / "subnet-monitor-prometheus.json"
CLOUDWATCH_BOARD = GRAFANA / "subnet-monitor-cloudwatch.json"
BOARDS = {"prometheus": PROMETHEUS_BOARD, "cloudwatch": CLOUDWATCH_BOARD}

# Custom/VPC as core/metrics.py publishes it: per subnet (dimension SubnetId), and per stack (dimension
# service = subnet-monitor): the counts of subnets at risk the verdict alarms watch, and the monitor's own health.
PER_SUBNET = {
    AVAILABLE_IP_COUNT,
    IP_UTILIZATION,
    SUBNET_STATUS,
    SCALE_HEADROOM,
    FREE_PREFIX_BLOCKS,
    HOURS_TO_EXHAUSTION,
}
PER_SUBNET |= {IP_EXHAUSTION_FAILURES}
AT_RISK = {SUBNETS_AT_RISK, SUBNETS_CRITICAL}
HEALTH = {SUBNETS_SCANNED, SCAN_ERRORS, SCAN_DURATION, UNPARSED_EVENTS, NOTIFICATION_ERRORS}
# The AWS metrics of the "function and schedule" widget (infra/dashboard.py), by namespace.
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
AWS_METRICS = {
    "AWS/Lambda": ({"Invocations", "Errors", "Throttles", "Duration"}, "FunctionName"),
    "AWS/SQS": ({"ApproximateNumberOfMessagesVisible"}, "QueueName"),
}
# A Metrics Insights query over the SubnetId schema (infra/alarms.py per_subnet_query).
INSIGHTS = re.compile(r'^SELECT (MAX|MIN)\((\w+)\) FROM SCHEMA\("([^"]+)", (\w+)\) GROUP BY (\w+) ')
# CloudWatch metric -> the exporter's metric for the same figure, and the factor from CloudWatch's unit
# (Percent, hours) to Prometheus's base unit (ratio, seconds).
PROMETHEUS_OF = {
    IP_UTILIZATION: ("subnet_monitor_subnet_utilization_ratio", 1 / 100),
    SUBNET_STATUS: ("subnet_monitor_subnet_status", 1),
    AVAILABLE_IP_COUNT: ("subnet_monitor_subnet_available_ips", 1),
    SCALE_HEADROOM: ("subnet_monitor_subnet_scale_headroom_ips", 1),
    FREE_PREFIX_BLOCKS: ("subnet_monitor_subnet_free_prefix_blocks", 1),
    HOURS_TO_EXHAUSTION: ("subnet_monitor_subnet_exhaustion_seconds", 3600),
}
# minFreeIps has no default: the stack draws it only when configured, the boards cannot.
CONFIGURED_ONLY = {"minFreeIps"}
# Grafana's own variables, and CloudWatch's dynamic labels.
# https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables
BUILT_IN = re.compile(r"^(__\w+|PROP\(.*\)|LABEL)$")
VARIABLE = re.compile(r"\$(?:\{([^}]+)\}|(\w+))")
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair of a JSON document, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in board["panels"] if panel["type"] != "row"]


def targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in panels(board) for target in panel.get("targets", [])]


def by_title(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {panel["title"]: panel for panel in panels(board)}


def prefix(title: str) -> str:
    """ "Fullest subnets: top 10 by ..." -> "Fullest subnets" (the widget's subject)."""
    return re.split(r"[:(]", title)[0].strip()


def lines(panel: dict[str, Any]) -> list[float]:
    """The threshold lines drawn on a time series panel (the base step has no value)."""
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return sorted(step["value"] for step in steps if step["value"] is not None)


def drawn(properties: dict[str, Any]) -> list[float]:
    """The lines a CloudWatch graph draws that the boards can draw too (a graph without any has no annotations)."""
    horizontal = properties.get("annotations", {}).get("horizontal", [])
    return sorted(line["value"] for line in horizontal if line["label"] not in CONFIGURED_ONLY)


def right_axis(panel: dict[str, Any]) -> set[str]:
    """The refIds of the queries a time series panel draws on its right axis."""
    return {
        override["matcher"]["options"]
        for override in panel["fieldConfig"]["overrides"]
        if override["matcher"]["id"] == "byFrameRefID"
        and {"id": "custom.axisPlacement", "value": "right"} in override["properties"]
    }


def grid_order(items: list[tuple[str, dict[str, int]]]) -> list[str]:
    """Titles top to bottom, left to right, from (title, position with x and y)."""
    return [title for title, _ in sorted(items, key=lambda item: (item[1]["y"], item[1]["x"]))]


def prometheus_exprs() -> list[str]:
    board = load(PROMETHEUS_BOARD)
    queries = [target["expr"] for target in targets(board)]
    return queries + [variable["definition"] for variable in board["templating"]["list"] if variable["type"] == "query"]


# --- both boards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("plugin", "path"), BOARDS.items())
def test_data_source_is_a_variable_so_the_board_imports_anywhere(plugin: str, path: Path) -> None:
    board = load(path)
    [ds] = [variable for variable in board["templating"]["list"] if variable["name"] == "DS"]
    assert (ds["type"], ds["query"]) == ("datasource", plugin)
    references = [value for key, value in walk(board) if key == "datasource"]
    assert references, "no panel names a data source"
    assert all(reference == {"type": plugin, "uid": "${DS}"} for reference in references), references


@pytest.mark.parametrize("path", BOARDS.values(), ids=BOARDS.keys())
def test_every_variable_used_is_defined(path: Path) -> None:
    board = load(path)
    defined = {variable["name"] for variable in board["templating"]["list"]}
    used = {
        braced or bare for _, value in walk(board) if isinstance(value, str) for braced, bare in VARIABLE.findall(value)
    }
    assert {name for name in used if not BUILT_IN.match(name)} <= defined


@pytest.mark.parametrize("path", BOARDS.values(), ids=BOARDS.keys())
def test_panels_have_unique_ids_and_do_not_overlap_on_the_24_column_grid(path: Path) -> None:
    board = load(path)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine


# --- Prometheus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expr", prometheus_exprs())
def test_prometheus_queries_read_only_the_exporters_metrics_and_labels(expr: str) -> None:
    assert names_in(expr) <= set(METRICS), names_in(expr) - set(METRICS)
    assert labels_in(expr) <= KNOWN_LABELS, labels_in(expr) - KNOWN_LABELS
    assert selector_problems(expr) == []


def test_legends_name_only_labels_their_series_carry() -> None:
    for target in targets(load(PROMETHEUS_BOARD)):
        carried = frozenset().union(*(METRICS[name] for name in names_in(target["expr"]))) | TARGET_LABELS
        if "ALERTS" in target["expr"]:
            carried |= ALERTS_LABELS
        assert set(LEGEND_LABEL.findall(target["legendFormat"])) <= carried, target["expr"]


def test_prometheus_board_shows_every_per_subnet_metric() -> None:
    read = set().union(*(names_in(expr) for expr in prometheus_exprs()))
    assert {name for name in METRICS if name.startswith("subnet_monitor_subnet_")} <= read


def test_vpc_az_and_subnet_variables_narrow_every_per_subnet_query() -> None:
    """Except monitor health: how many subnets the scan saw is a figure of the whole scan."""
    subnet_panels = [panel for panel in panels(load(PROMETHEUS_BOARD)) if prefix(panel["title"]) != "Monitor health"]
    for target in (target for panel in subnet_panels for target in panel.get("targets", [])):
        if any(name.startswith("subnet_monitor_subnet_") for name in names_in(target["expr"])):
            for selector in ('vpc_id=~"$vpc"', 'availability_zone=~"$az"', 'subnet_id=~"$subnet"'):
                assert selector in target["expr"], target["expr"]


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_promtool_parses_every_panel_query(tmp_path: Path) -> None:
    """Each panel query as a recording rule (variables given a value), checked by promtool."""
    concrete = {"$__rate_interval": "5m", "$vpc": ".*", "$az": ".*", "$subnet": ".*"}
    exprs = [target["expr"] for target in targets(load(PROMETHEUS_BOARD))]
    recorded = []
    for index, expr in enumerate(exprs):
        runnable = expr
        for variable, value in concrete.items():
            runnable = runnable.replace(variable, value)
        assert "$" not in runnable, runnable
        recorded.append({"record": f"dashboard:panel_query_{index}", "expr": runnable})
    rules = tmp_path / "dashboard-queries.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    result = subprocess.run([promtool(), "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_prometheus_board_has_a_panel_for_each_cloudwatch_widget(cloudwatch_widgets: list[dict[str, Any]]) -> None:
    board = load(PROMETHEUS_BOARD)
    assert Counter(prefix(panel["title"]) for panel in panels(board)) == Counter(
        prefix(widget["properties"]["title"]) for widget in cloudwatch_widgets
    )


@pytest.mark.parametrize("path", BOARDS.values(), ids=BOARDS.keys())
def test_boards_lay_out_the_widgets_in_the_stacks_order(path: Path, cloudwatch_widgets: list[dict[str, Any]]) -> None:
    """Panels the stack has no widget for (the CloudWatch board's selected-subnets row) may follow them."""
    stack = grid_order([(prefix(widget["properties"]["title"]), widget) for widget in cloudwatch_widgets])
    board = grid_order([(prefix(panel["title"]), panel["gridPos"]) for panel in panels(load(path))])
    assert board[: len(stack)] == stack


def test_prometheus_rankings_and_lines_match_the_cloudwatch_graphs(cloudwatch_widgets: list[dict[str, Any]]) -> None:
    board = {prefix(title): panel for title, panel in by_title(load(PROMETHEUS_BOARD)).items()}
    ranked = [widget["properties"] for widget in cloudwatch_widgets if "expression" in str(widget["properties"])]
    rankings = {widget["title"]: INSIGHTS.match(widget["metrics"][0][0]["expression"]).group(1, 2) for widget in ranked}
    # The stack of conftest.py publishes the detailed metrics: a ranking of each.
    assert {metric for _, metric in rankings.values()} == PUBLISHED[MetricSet.DETAILED]
    for widget in ranked:
        function, metric = rankings[widget["title"]]
        name, factor = PROMETHEUS_OF[metric]
        panel = board[prefix(widget["title"])]
        [target] = panel["targets"]
        ranking = {"MAX": "topk", "MIN": "bottomk"}[function]
        assert target["expr"].startswith(f"{ranking}({TOP_SUBNETS}, {name}{{"), target["expr"]
        assert lines(panel) == pytest.approx([value * factor for value in drawn(widget)])


def test_prometheus_counts_the_verdicts_the_stacks_at_risk_graph_counts(
    cloudwatch_widgets: list[dict[str, Any]],
) -> None:
    """SubnetsAtRisk / SubnetsCritical count the subnets judged WARNING or worse / CRITICAL: the board counts
    the subnets whose status is at least 1 / is 2, on the same axes (what the counts are: the promtool test)."""
    [widget] = [
        widget["properties"]
        for widget in cloudwatch_widgets
        if {metric[1] for metric in widget["properties"].get("metrics", []) if isinstance(metric[0], str)} == AT_RISK
    ]
    panel = {prefix(panel["title"]): panel for panel in panels(load(PROMETHEUS_BOARD))}[prefix(widget["title"])]
    counted = {SUBNETS_AT_RISK: ">= bool 1", SUBNETS_CRITICAL: "== bool 2"}
    right = {metric[1] for metric in widget["metrics"] if metric[-1].get("yAxis") == "right"}
    assert len(panel["targets"]) == len(widget["metrics"])
    for metric, target in zip(widget["metrics"], panel["targets"], strict=True):
        assert target["expr"].startswith("sum(subnet_monitor_subnet_status{"), target["expr"]
        assert target["expr"].endswith(f"}} {counted[metric[1]]})"), target["expr"]
        assert (target["refId"] in right_axis(panel)) == (metric[1] in right)


# --- CloudWatch ----------------------------------------------------------------------------------


def test_cloudwatch_queries_read_only_what_the_collector_publishes() -> None:
    for target in targets(load(CLOUDWATCH_BOARD)):
        if target["queryMode"] == "Logs":
            continue
        if target["metricQueryType"] == 1:  # Metrics Insights (code)
            _, metric, namespace, schema_key, group = INSIGHTS.match(target["sqlExpression"]).groups()
            assert (namespace, schema_key, group) == (NAMESPACE, DIMENSION_SUBNET, DIMENSION_SUBNET)
            assert metric in PER_SUBNET
        elif target["namespace"] == NAMESPACE:  # metric search
            metric = target["metricName"]
            assert metric in PER_SUBNET | AT_RISK | HEALTH, metric
            expected = {DIMENSION_SUBNET: "$subnet"} if metric in PER_SUBNET else {"service": SERVICE}
            assert target["dimensions"] == expected, metric
        else:
            names, dimension = AWS_METRICS[target["namespace"]]
            assert target["metricName"] in names
            assert list(target["dimensions"]) == [dimension]


def test_cloudwatch_board_has_each_widget_of_the_stacks_dashboard(cloudwatch_widgets: list[dict[str, Any]]) -> None:
    board = by_title(load(CLOUDWATCH_BOARD))
    for widget in cloudwatch_widgets:
        properties = widget["properties"]
        panel = board[properties["title"]]
        if widget["type"] == "metric":
            queries = [metric[0]["expression"] for metric in properties["metrics"] if isinstance(metric[0], dict)]
            if queries:
                assert [target["sqlExpression"] for target in panel["targets"]] == queries
                assert lines(panel) == drawn(properties)
            else:
                expected = {(metric[0], metric[1], metric[-1].get("stat")) for metric in properties["metrics"]}
                shown = {(t["namespace"], t["metricName"], t["statistic"]) for t in panel["targets"]}
                assert shown == expected
                right = {metric[1] for metric in properties["metrics"] if metric[-1].get("yAxis") == "right"}
                assert {t["metricName"] for t in panel["targets"] if t["refId"] in right_axis(panel)} == right
        elif widget["type"] == "log":
            [target] = panel["targets"]
            assert properties["query"].partition(" | ")[2] == target["expression"]
        else:
            assert widget["type"] == "alarm"


def test_rankings_are_the_stacks_own_metrics_insights_queries() -> None:
    sql = {target["sqlExpression"] for target in targets(load(CLOUDWATCH_BOARD)) if target.get("metricQueryType") == 1}
    highest_first = {IP_UTILIZATION, SUBNET_STATUS}
    assert sql == {
        *(top_subnets_query("MAX", metric) for metric in highest_first),
        *(top_subnets_query("MIN", metric) for metric in PER_SUBNET - highest_first - {IP_EXHAUSTION_FAILURES}),
    }


def test_report_table_is_the_stacks_logs_insights_query_over_the_chosen_log_group() -> None:
    [target] = [target for target in targets(load(CLOUDWATCH_BOARD)) if target["queryMode"] == "Logs"]
    assert target["expression"].split("\n| ") == SUBNET_TABLE_QUERY
    assert target["logGroupNames"] == ["$log_group"]


def test_alarm_state_changes_are_annotated_from_the_stacks_alarms() -> None:
    board = load(CLOUDWATCH_BOARD)
    [annotation] = board["annotations"]["list"]
    assert annotation["target"]["queryMode"] == "Annotations"
    assert (annotation["target"]["prefixMatching"], annotation["target"]["alarmNamePrefix"]) == (True, "$stack")
    assert "${stack}" in by_title(board)["Alarms"]["options"]["content"]


def test_subnet_variable_lists_the_subnets_the_collector_publishes_in_every_setting() -> None:
    [subnet] = [variable for variable in load(CLOUDWATCH_BOARD)["templating"]["list"] if variable["name"] == "subnet"]
    query = subnet["query"]
    assert (query["queryType"], query["namespace"], query["metricName"], query["dimensionKey"]) == (
        "dimensionValues",
        NAMESPACE,
        AVAILABLE_IP_COUNT,
        DIMENSION_SUBNET,
    )
    assert all(AVAILABLE_IP_COUNT in published for published in PUBLISHED.values())


SERIES = re.compile(r"^(\w+)\{(.*)\}$")
LABEL_PAIR = re.compile(r'(\w+)="([^"]*)"')


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    name, labels = SERIES.match(text).groups()
    return name, dict(LABEL_PAIR.findall(labels))


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_rankings_return_each_subnet_with_its_value_and_name(tmp_path: Path) -> None:
    """The ranking panels evaluated by promtool over the rules' unit-test series (four subnets, so the
    top and bottom 10 are all of them): each subnet's own value, its labels, and its Name tag joined in."""
    [estate, *_] = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    series = [(*parse_series(item["series"]), float(item["values"].split("x")[0])) for item in estate["input_series"]]
    names = {
        labels["subnet_id"]: labels["name"] for metric, labels, _ in series if metric == "subnet_monitor_subnet_info"
    }
    cases = []
    for panel in panels(load(PROMETHEUS_BOARD)):
        [ranking, *_] = panel.get("targets", [{"expr": ""}])
        if not ranking["expr"].startswith(("topk(", "bottomk(")):
            continue
        [metric] = names_in(ranking["expr"]) - {"subnet_monitor_subnet_info"}
        expected = [
            {
                # An empty label (a subnet without a Name tag) is no label in Prometheus.
                "labels": "{"
                + ",".join(f'{k}="{v}"' for k, v in {**labels, "name": names[labels["subnet_id"]]}.items() if v)
                + "}",
                "value": value,
            }
            for name, labels, value in series
            if name == metric
        ]
        assert expected, f"the unit-test series have no {metric}"
        expr = ranking["expr"].replace("$vpc", ".*").replace("$az", ".*").replace("$subnet", ".*")
        cases.append({"expr": expr, "eval_time": "10m", "exp_samples": expected})
    assert {next(iter(names_in(case["expr"]) - {"subnet_monitor_subnet_info"})) for case in cases} == {
        name for name, _ in PROMETHEUS_OF.values()
    }
    promtool_expr_tests(tmp_path, estate, cases)


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_at_risk_counts_are_the_subnets_warning_or_worse_and_critical(tmp_path: Path) -> None:
    """The "Subnets at risk" panel evaluated by promtool over the rules' unit-test series, for all the subnets
    and for each one: how many have a status of at least 1 (WARNING, CRITICAL) and of 2 (CRITICAL); 0, not
    no data, where none has."""
    [estate, *_] = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    status = {
        labels["subnet_id"]: float(item["values"].split("x")[0])
        for item in estate["input_series"]
        for metric, labels in [parse_series(item["series"])]
        if metric == "subnet_monitor_subnet_status"
    }
    assert set(status.values()) == {0, 1, 2}, "the unit-test series need an OK, a WARNING and a CRITICAL subnet"
    [panel] = [panel for panel in panels(load(PROMETHEUS_BOARD)) if prefix(panel["title"]) == "Subnets at risk"]
    at_risk, critical = (target["expr"] for target in panel["targets"])
    cases = []
    for chosen in [".*", *status]:
        levels = [level for subnet, level in status.items() if re.fullmatch(chosen, subnet)]
        for expr, count in ((at_risk, sum(level >= 1 for level in levels)), (critical, levels.count(2))):
            runnable = expr.replace("$vpc", ".*").replace("$az", ".*").replace("$subnet", chosen)
            cases.append({"expr": runnable, "eval_time": "10m", "exp_samples": [{"labels": "{}", "value": count}]})
    promtool_expr_tests(tmp_path, estate, cases)


def promtool_expr_tests(tmp_path: Path, estate: dict[str, Any], cases: list[dict[str, Any]]) -> None:
    """``promtool test rules`` of the queries ``cases`` over the input series of ``estate`` (no rules)."""
    (tmp_path / "none.yml").write_text("groups: []\n")
    test_file = tmp_path / "panels.test.yml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": ["none.yml"],
                "tests": [
                    {"interval": estate["interval"], "input_series": estate["input_series"], "promql_expr_test": cases}
                ],
            }
        )
    )
    result = subprocess.run(
        [promtool(), "test", "rules", test_file.name], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
