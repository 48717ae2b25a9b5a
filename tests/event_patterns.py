"""A small EventBridge pattern matcher for the syntax the failure rules use: plain values, ``prefix``,
``wildcard``, ``anything-but`` and ``exists``, over nested objects and arrays.

Semantics from the EventBridge user guide, "Event patterns" and "Content filtering":
https://docs.aws.amazon.com/eventbridge/latest/ref/eb-event-patterns.html
https://docs.aws.amazon.com/eventbridge/latest/ref/eb-event-patterns-content-based-filtering.html

- every field the pattern names must match (AND); the values listed for a field are alternatives (OR);
- an array in the event matches when any of its elements does;
- a field missing from the event matches only ``{"exists": false}``;
- matching is exact and case-sensitive.

Anything else raises, so a rule that starts using more syntax cannot pass the tests by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()
SUPPORTED = {"prefix", "wildcard", "anything-but", "exists"}


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches ``pattern``."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if isinstance(value, list):
                if not any(matches(expected, item) for item in value):
                    return False
            elif not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _leaf(expected, value):
                return False
        else:
            raise ValueError(f"pattern field {key!r} must be an object or an array, got {expected!r}")
    return True


def _leaf(alternatives: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_one(matcher, item) for matcher in alternatives for item in values) or (
        value is _MISSING and any(isinstance(m, Mapping) and m.get("exists") is False for m in alternatives)
    )


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        return value is not _MISSING and matcher == value and type(matcher) is type(value)
    if len(matcher) != 1 or next(iter(matcher)) not in SUPPORTED:
        raise ValueError(f"unsupported matcher {matcher!r}; this matcher knows {sorted(SUPPORTED)}")
    ((name, argument),) = matcher.items()
    if name == "exists":
        return (value is not _MISSING) is argument
    if value is _MISSING:
        return False
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "wildcard":
        return isinstance(value, str) and _wildcard(argument).fullmatch(value) is not None
    # anything-but: a value, a list of values, or {"prefix": ...}
    if isinstance(argument, Mapping):
        return not _one(argument, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return value not in excluded


def _wildcard(pattern: str) -> re.Pattern[str]:
    # "*" matches any run of characters; "\*" is a literal star.
    parts = re.split(r"(?<!\\)\*", pattern)
    return re.compile(".*".join(re.escape(part.replace("\\*", "*")) for part in parts), re.DOTALL)
