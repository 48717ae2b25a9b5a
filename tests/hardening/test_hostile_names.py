"""Hostile names through every door: the CLI's ``scan``, ``check`` (live and ``--plan``) and ``report
--html``, the scan Lambda's log, and the failure path's subject, e-mail and chat message. Whatever a
name holds (fixtures/hostile_estate.py), it is shown and never obeyed: no control character reaches a
terminal, a page, a subject or a chat message; no markup becomes an element, an attribute, a ping or a
link; JSON stays valid and gives the name back exactly."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from fixtures.estate import moto_client_factory
from fixtures.failure_stack import LocalFailureStack
from fixtures.hostile_estate import (
    CONTROL,
    ECS_CLUSTER,
    HOSTILE,
    MARKUP,
    XML_HOSTILE,
    HostileEstate,
    chat_messages,
    hostile_failure_events,
    hostile_plan,
    seed_hostile_estate,
)
from subnet_monitor.render.html import CHECK_SCRIPT, CONTENT_SECURITY_POLICY
from tests.conftest import Invoke
from tests.design.test_plan import EXAMPLE
from tests.failures.conftest import failures, stack  # noqa: F401 - the failure path's fixtures
from tests.moto_estate import REGION
from tests.support_cli import Run, moto_aws, run
from tests.support_html import ParsedPage

# What XML (EC2, Auto Scaling) gives back of a carriage return: a line feed (XML 1.0 end-of-line handling).
XML_NAME = XML_HOSTILE.replace("\r", "\n")


@dataclass
class Doors:
    estate: HostileEstate
    runs: dict[str, Run]
    html: dict[str, str]


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    """The hostile estate, seeded once: every CLI door run over it (and over a hostile plan)."""
    tmp = tmp_path_factory.mktemp("hostile")
    plan = str(hostile_plan(tmp / "plan.json", EXAMPLE))
    with moto_aws() as session:
        estate = seed_hostile_estate(session.client)
        runs = {
            "scan": run("scan"),
            "scan --json": run("scan", "--json"),
            "scan --what-if": run("scan", "--what-if", f"asg:{XML_NAME}:maxSize=9"),
            "check": run("check"),
            "check --json": run("check", "--json"),
            "check --plan": run("check", "--plan", plan, "--html", str(tmp / "plan.html")),
            "check --plan --json": run("check", "--plan", plan, "--json"),
            "report": run("report", "--check", "--plan", plan, "--html", str(tmp / "report.html")),
        }
    yield Doors(estate, runs, {name: (tmp / f"{name}.html").read_text() for name in ("plan", "report")})


def assert_no_control_character(text: str) -> None:
    assert not [c for c in CONTROL if c in text], f"control characters in {text[:200]!r}"


# --- the terminal ------------------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["scan", "check", "check --plan"])
def test_the_text_a_terminal_shows_holds_no_control_character_and_no_forged_line(doors: Doors, door: str) -> None:
    shown = doors.runs[door]
    # THEN the command ran to its usual end, with nothing on stderr
    assert shown.code in (0, 2)
    assert shown.err == ""
    # AND nothing in it is a control character: the names are there, written as escapes
    assert_no_control_character(shown.out)
    assert "\\u202e" in shown.out
    # AND a name's line break is written as an escape too: "second line" never starts a line of its own
    assert "\\x0asecond line" in shown.out
    assert not [line for line in shown.out.splitlines() if line.startswith("second line")]


def test_a_refused_what_if_on_a_hostile_name_is_one_line_of_error(doors: Doors) -> None:
    # GIVEN a what-if on an Auto Scaling group named with escapes, markup and a line break, which the scan
    # does not find as a capacity provider's group
    shown = doors.runs["scan --what-if"]
    # THEN it is refused as bad input, on one line of stderr that forges no second line
    assert shown.code == 2
    assert shown.out == ""
    assert shown.err.count("\n") == 1
    assert shown.err.startswith("subnet_monitor: error: --what-if: ")
    assert_no_control_character(shown.err)
    assert "\\x0asecond line" in shown.err


def test_the_scan_table_keeps_one_row_per_subnet(doors: Doors) -> None:
    table = doors.runs["scan"].out.split("\n\n")[0].splitlines()
    # THEN the header and one row per subnet the scan reports, each row starting with its subnet
    assert table[0].startswith("SUBNET ")
    assert all(line.startswith("subnet-") for line in table[1:])
    assert len(table) - 1 == len(json.loads(doors.runs["scan --json"].out))
    # AND the self-managed node's hostile node pool is the workload shown, on its row
    assert "karpenter:^[[2J^[[H\\x0a\\u202e <script>" in table[2] + table[1]


@pytest.mark.parametrize("door", ["scan --json", "check --json", "check --plan --json"])
def test_json_is_valid_escapes_every_control_character_and_gives_the_names_back(doors: Doors, door: str) -> None:
    out = doors.runs[door].out
    # THEN the output holds no control character or bidirectional override as itself
    assert_no_control_character(out)
    # AND it is valid JSON that gives back the names exactly as AWS or the plan holds them
    document = json.loads(out)
    text = json.dumps(document, ensure_ascii=False)
    expected = HOSTILE if "plan" in door else XML_NAME
    assert json.dumps(expected, ensure_ascii=False)[1:-1] in text


# --- the page ----------------------------------------------------------------------------------------


class Elements(ParsedPage):
    """The page as html.parser reads it, with every element and attribute name, and what each script
    element holds."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes |= {name for name, _ in attrs}
        if tag == "script":
            self.scripts.append("")
        super().handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1] += data
            return
        super().handle_data(data)


@pytest.mark.parametrize("page", ["report", "plan"])
def test_the_page_shows_the_names_as_text_and_no_name_becomes_an_element_or_attribute(doors: Doors, page: str) -> None:
    parsed = Elements()
    parsed.feed(doors.html[page])
    parsed.close()
    # THEN the page is well formed and loads nothing
    assert parsed.problems == []
    assert parsed.urls == []
    # AND no name became an element or an event handler: the one script is the page's own (its hash is
    # the only one the CSP allows), no img, no on* attribute
    assert parsed.scripts == [CHECK_SCRIPT]
    assert "img" not in parsed.tags
    assert not [name for name in parsed.attributes if name.startswith("on")]
    # AND the names are there as text, every piece of markup read back as the characters it is
    text = "".join(parsed.text)
    assert all(piece in text for piece in MARKUP if piece != "&amp;")
    # AND no control character is written into the page as itself
    assert_no_control_character(doors.html[page].replace("\\u202e", ""))


def test_the_report_keeps_its_content_security_policy(doors: Doors) -> None:
    parsed = Elements()
    parsed.feed(doors.html["report"])
    assert parsed.meta["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


# --- the scan Lambda ---------------------------------------------------------------------------------


def logged(run: Any, *args: Any) -> tuple[Any, list[str]]:
    """What a handler returned, and the raw lines it logged (the fixtures point the function's logger at
    whatever ``sys.stdout`` is when it runs)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = run(*args)
    return result, out.getvalue().splitlines()


def assert_json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """Every line one JSON record (a name's line break cannot split a record), no control character or
    override written as itself."""
    assert lines
    assert_no_control_character("\n".join(lines))
    return [json.loads(line) for line in lines]


def test_the_scan_functions_log_is_json_lines_that_give_the_names_back(aws: boto3.Session, invoke: Invoke) -> None:
    # GIVEN the hostile estate
    estate = seed_hostile_estate(aws.client)
    # WHEN the scan Lambda runs over it
    _, lines = logged(invoke)
    # THEN every line it logged is one JSON record, with no control character as itself
    records = assert_json_lines(lines)
    # AND the records give the names back exactly
    reports = {r["subnet_id"]: r for r in records if r.get("message") == "subnet_report"}
    nodes = reports[estate.subnets["nodes"]]
    assert f"karpenter:{XML_NAME}" in {w["name"] for w in nodes["workloads"]}
    assert {w["cluster"] for w in reports[estate.subnets["tasks"]]["workloads"]} == {ECS_CLUSTER}


# --- the failure path --------------------------------------------------------------------------------


@pytest.fixture
def notified(aws: boto3.Session, stack: LocalFailureStack, failures: Any) -> dict[str, Any]:  # noqa: F811
    """The hostile failures through the real event handler: what reached the topic and the chat."""
    estate = seed_hostile_estate(aws.client)
    events = hostile_failure_events(estate)
    invocations, lines = zip(*(logged(failures, event) for event in events), strict=True)
    return {
        "estate": estate,
        "invocations": invocations,
        "log": [line for batch in lines for line in batch],
        "mail": stack.notifications(),
        "chat": chat_messages(moto_client_factory(None, region=REGION), stack.topic_arn),
    }


def test_every_hostile_failure_is_notified_once(notified: dict[str, Any]) -> None:
    # THEN each of the four failures (one per subnet) was counted and notified, none lost to SNS
    assert [i.summary["notified"] for i in notified["invocations"]] == [1, 1, 1, 1]
    assert [i.summary["errors"] for i in notified["invocations"]] == [[], [], [], []]
    assert len(notified["mail"]) == len(notified["chat"]) == 4


def test_the_subject_is_printable_ascii_whatever_the_names_hold(notified: dict[str, Any]) -> None:
    for mail in notified["mail"]:
        assert all(" " <= c <= "~" for c in mail["subject"])
        assert 0 < len(mail["subject"]) < 100


def test_the_e_mail_keeps_every_name_on_its_line_and_holds_no_control_character(notified: dict[str, Any]) -> None:
    for mail in notified["mail"]:
        text = mail["message"]
        assert_no_control_character(text)
        # A name's line break is written as an escape: it cannot add a line that looks like ours.
        assert not [line for line in text.splitlines() if line.startswith("second line")]
    # AND the e-mail stays readable: the names are there, markup as the plain characters it is
    first = notified["mail"][0]["message"]
    assert "Reason      : Unexpected EC2 error" in first
    assert "*bold* _italic_ ~strike~ `code` <!channel>" in first


CODE_SPAN = re.compile(r"`[^`\n]*`")


def chat_text(message: dict[str, Any]) -> str:
    content = message["content"]
    return "\n".join([content["title"], content["description"], *content["nextSteps"]])


def test_the_chat_message_is_a_custom_notification(notified: dict[str, Any]) -> None:
    # Amazon Q Developer in chat applications' custom notification schema:
    # https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
    for message in notified["chat"]:
        assert (message["version"], message["source"]) == ("1.0", "custom")
        assert message["content"]["textType"] == "client-markdown"
        assert message["content"]["title"].startswith("IP exhaustion: subnet-")
        assert message["content"]["description"]


def test_no_markup_from_a_name_reaches_the_chat(notified: dict[str, Any]) -> None:
    for message in notified["chat"]:
        text = chat_text(message)
        # THEN no control character; and no <, > left to make a ping, a mention or a link: Slack's
        # escaping rule (https://api.slack.com/reference/surfaces/formatting#escaping)
        assert_no_control_character(text)
        assert "<" not in text and ">" not in text
        # AND every piece of emphasis markup a name holds is inside inline code, where Slack shows it as is
        outside = CODE_SPAN.sub("", text)
        for piece in (
            "*bold*",
            "_italic_",
            "~strike~",
            "&lt;!channel&gt;",
            "&lt;http://evil.example|click here&gt;",
            "_payments_",
            "_general_",
        ):
            assert piece not in outside
    # AND the names are all there, in code: the reason, the task group, the Auto Scaling group, the node group
    everything = "\n".join(chat_text(m) for m in notified["chat"])
    assert everything.count("&lt;!channel&gt;") >= 4
    assert "Reason:* `Unexpected EC2 error" in everything
    assert "ECS task group `family:\\x1b[2J\\x1b[H\\x0d\\u202e &lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "Auto Scaling group `^[[2J^[[H\\x0d\\u202e &lt;script&gt;" in everything
    assert "add subnets with free addresses to the EKS node group `ng-_general_`" in everything


def test_a_backtick_in_a_name_cannot_close_the_code_around_it(notified: dict[str, Any]) -> None:
    texts = [chat_text(message) for message in notified["chat"]]
    # "`code`" in a name is shown with U+02CB (in the three failures whose names hold it), so every code
    # span holds the whole name
    assert not [text for text in texts if "`code`" in text]
    assert len([text for text in texts if "ˋcodeˋ" in text]) == 3


def test_the_failure_functions_log_is_json_lines_that_give_the_names_back(notified: dict[str, Any]) -> None:
    records = assert_json_lines(notified["log"])
    names = [r["workload"]["name"] for r in records if r.get("message") == "exhaustion_failure"]
    assert names[1:3] == [f"family:{HOSTILE}", XML_HOSTILE]
