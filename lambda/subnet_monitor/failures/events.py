"""Failures that already happened because a subnet ran out of addresses: read from events, attributed
to a subnet and a workload, explained to a person. Pure: no AWS imports, no I/O.

Signals (patterns in :mod:`subnet_monitor.failures.patterns`):

- ``ECS Task State Change``: a task stopped because its ENI could not get an address;
- ``ECS Service Action``: the scheduler could not place an awsvpc task, no container instance had a
  free ENI attachment (``RESOURCE:ENI``);
- ``EC2 Instance Launch Unsuccessful``: Auto Scaling could not launch an instance, the subnet had no
  free address (capacity providers and EKS node groups alike);
- ``EKS Health Issue``: the scan's own event for an EKS node group or cluster health issue
  ``InsufficientFreeAddresses`` (EKS sends no event for these);
- ``AWS API Call via CloudTrail`` (optional): a failed ``CreateNetworkInterface``,
  ``AssignPrivateIpAddresses`` or ``RunInstances``.

The envelope is read with Powertools' EventBridge model (:class:`Envelope`), each ``detail`` with its
own model (:mod:`subnet_monitor.failures.details`). An event becomes :class:`Failure` records (one per
subnet it names), an ignored :class:`Skipped` record (a near miss: a failure for another reason) or an
unparsed one (not an event we can read).
Nothing here raises on a bad event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BeforeValidator, ConfigDict, Field, ValidationError

from subnet_monitor.failures.details import DETAILS, MalformedError, Observed, Text
from subnet_monitor.failures.records import Failure, Parsed, Skipped


class Envelope(EventBridgeModel):
    """Powertools' EventBridge envelope, loosened to what this function has always read.

    Powertools requires every envelope field and parses ``time``; here a field that is missing or of
    the wrong type reads as absent (a hand-made or partial event, sent by direct invocation, is still
    read), and ``time`` stays the event's text, as the notification quotes it. Never fails for an
    object. https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
    """

    # Only "detail-type", as EventBridge writes it; ignore the rest (AWS adds fields).
    model_config = ConfigDict(populate_by_name=False, validate_by_name=False, extra="ignore")

    version: Text = None
    id: Text = None
    source: Text = None
    account: Text = None
    time: Text = None
    region: Text = None
    resources: Annotated[list[Any], BeforeValidator(lambda value: value if isinstance(value, list) else [])] = []
    detail_type: Text = Field(None, alias="detail-type")
    detail: Any = None


def parse_records(payload: Any) -> Parsed:
    """Read a Lambda payload: one EventBridge event, an SQS batch of them (``Records[].body``) or a
    list. A record that cannot be read is counted in ``unparsed`` and the others are still read."""
    parsed = Parsed()
    if isinstance(payload, Mapping) and isinstance(payload.get("Records"), list):
        records: Iterable[Any] = payload["Records"]
    elif isinstance(payload, list):
        records = payload
    else:
        records = [payload]
    for record in records:
        if isinstance(record, Mapping) and "body" in record and "detail-type" not in record:
            try:
                record = json.loads(record["body"])  # noqa: PLW2901 - the record is its body
            except (TypeError, ValueError) as error:
                parsed.unparsed.append(Skipped(why=f"record body is not JSON ({error})"))
                continue
        parsed.extend(parse_event(record))
    return parsed


def parse_event(event: Any) -> Parsed:
    """The failures one EventBridge event reports, or why it reports none."""
    if not isinstance(event, Mapping):
        return Parsed(unparsed=[Skipped(why=f"not an event object ({type(event).__name__})")])
    envelope = Envelope.model_validate(dict(event))
    skipped = Skipped(why="", event_id=envelope.id, source=envelope.source, detail_type=envelope.detail_type)
    model = DETAILS.get((envelope.source or "", envelope.detail_type or ""))
    if model is None:
        return Parsed(unparsed=[replace(skipped, why="not a failure signal this function reads")])
    try:
        observed = model.model_validate(envelope.detail).observe(envelope.resources)
    except ValidationError as error:
        return Parsed(unparsed=[replace(skipped, why=_invalid(error))])
    except MalformedError as error:
        return Parsed(unparsed=[replace(skipped, why=str(error))])
    if isinstance(observed, str):
        # The near miss carries the event ID as the failures would: "" when the event has none.
        return Parsed(ignored=[replace(skipped, why=observed, event_id=envelope.id or "")])
    return Parsed(failures=_per_subnet(envelope, observed))


def _per_subnet(envelope: Envelope, observed: Observed) -> list[Failure]:
    """One failure per subnet the event names, or one without a subnet when it names none."""
    return [
        Failure(
            signal=observed.signal,
            code=observed.code,
            reason=observed.reason,
            subnet_id=subnet,
            workload=observed.workload,
            account=envelope.account or "",
            region=envelope.region or "",
            time=envelope.time or "",
            event_id=envelope.id or "",
            availability_zone=observed.availability_zone,
            details=observed.details,
        )
        for subnet in dict.fromkeys(observed.subnets) or [None]
    ]


def _invalid(error: ValidationError) -> str:
    """Why a detail failed its model, in the words of the field: ``detail.stoppedReason is missing or
    not a string``."""
    first = error.errors()[0]
    if not first["loc"]:
        return "detail is not an object"
    where = ".".join(["detail", *map(str, first["loc"])])
    return f"{where} is missing or not a string"
