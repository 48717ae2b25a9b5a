"""Reading a document the user gave (a ``--config`` or ``--plan`` file, a JSON environment variable)
without trusting it: bounded in size, nesting and expanded size, refused with a :class:`ConfigError`
that names where it came from, never a ``UnicodeDecodeError``, ``RecursionError`` or ``MemoryError``.

JSON is the standard's: ``NaN`` and ``Infinity`` are refused. YAML is PyYAML's safe subset; aliases
are read (the YAML loader shares one object per anchor), then the expanded document is bounded, so a
"billion laughs" file is refused after a few thousand steps instead of growing to gigabytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from subnet_monitor.core.config.errors import ConfigError

# A plan of 20,000 subnets is about 3 MB of JSON; a cdk.json a few KB.
DOCUMENT_MAX_BYTES = 8 * 1024 * 1024
# Plans nest 6 deep (eksClusters[0].nodegroups[0].subnets[0]); the config block 4.
DOCUMENT_MAX_DEPTH = 32
# Values (objects, lists, scalars) once every YAML alias is expanded: 20,000 subnets are ~200,000.
DOCUMENT_MAX_VALUES = 2_000_000
YAML_SUFFIXES = (".yaml", ".yml")
# JSON's \ud800-\udfff escapes decode to lone UTF-16 surrogates, which are no text: nothing can encode
# them (pydantic cannot even word its error), so they are refused with the document.
SURROGATE = re.compile("[\ud800-\udfff]")
NOT_TEXT = "holds a lone surrogate escape (\\ud800 to \\udfff), which is not text"


def read_document(path: str | Path, *, source: str) -> Any:
    """The parsed JSON (or YAML, by the file's suffix) document of file ``path``.

    Raises
    ------
    ConfigError
        keyed ``source`` (e.g. ``--plan``) with the path as the value, when the file cannot be read,
        is larger than :data:`DOCUMENT_MAX_BYTES`, is not UTF-8, or is not a bounded JSON/YAML document.
    """
    path = Path(path)
    shown = str(path)
    try:
        with path.open("rb") as file:
            data = file.read(DOCUMENT_MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(source, shown, f"cannot be read ({error.strerror or error})") from error
    if len(data) > DOCUMENT_MAX_BYTES:
        raise ConfigError(source, shown, f"is larger than {DOCUMENT_MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(source, shown, f"is not UTF-8 text (byte {error.start})") from None
    if path.suffix.lower() in YAML_SUFFIXES:
        return _bounded(_yaml(text, source, shown), source, shown)
    return parse_json(text, source=source, shown=shown)


def parse_json(text: str, *, source: str, shown: Any) -> Any:
    """The JSON value of ``text``, bounded in nesting and size.

    Raises
    ------
    ConfigError
        keyed ``source``, showing ``shown`` (the path, or the text itself), when ``text`` is not
        standard JSON or nests deeper than :data:`DOCUMENT_MAX_DEPTH`.
    """
    if "\0" in text:
        raise ConfigError(source, shown, "is not valid JSON (it holds NUL characters: a binary file?)")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ConfigError(
            source, shown, f"is not valid JSON ({error.msg}: line {error.lineno}, column {error.colno})"
        ) from None
    except _ConstantError as error:
        raise ConfigError(source, shown, f"is not valid JSON ({error} is not a JSON number)") from None
    except RecursionError:
        raise ConfigError(source, shown, f"nests deeper than {DOCUMENT_MAX_DEPTH} levels") from None
    return _bounded(document, source, shown)


class _ConstantError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _ConstantError(name)


def _yaml(text: str, source: str, shown: str) -> Any:
    try:
        import yaml  # noqa: PLC0415 - only YAML files need it; the Lambda never reads one
    except ImportError as error:  # pragma: no cover - PyYAML is pinned in requirements.txt
        raise ConfigError(source, shown, "is YAML, which needs PyYAML (pip install pyyaml)") from error
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        # Only the problem and where: str(error) quotes the document.
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(source, shown, f"is not valid YAML ({error.problem or error.context}{where})") from None
    except yaml.YAMLError as error:
        raise ConfigError(source, shown, f"is not valid YAML ({type(error).__name__})") from None
    except RecursionError:
        raise ConfigError(source, shown, f"nests deeper than {DOCUMENT_MAX_DEPTH} levels") from None


def _bounded(document: Any, source: str, shown: Any) -> Any:
    """``document`` when it nests at most :data:`DOCUMENT_MAX_DEPTH` deep and holds at most
    :data:`DOCUMENT_MAX_VALUES` values once expanded; the walk stops at the first bound crossed."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    values = 0
    while pending:
        node, depth = pending.pop()
        values += 1
        if values > DOCUMENT_MAX_VALUES:
            raise ConfigError(
                source, shown, f"holds more than {DOCUMENT_MAX_VALUES:,} values, each use of a YAML alias counted"
            )
        if (isinstance(node, str) and SURROGATE.search(node)) or (
            isinstance(node, Mapping) and any(isinstance(key, str) and SURROGATE.search(key) for key in node)
        ):
            raise ConfigError(source, shown, NOT_TEXT)
        if isinstance(node, Mapping | list | tuple):
            if depth >= DOCUMENT_MAX_DEPTH:
                raise ConfigError(source, shown, f"nests deeper than {DOCUMENT_MAX_DEPTH} levels")
            children = node.values() if isinstance(node, Mapping) else node
            pending.extend((child, depth + 1) for child in children)
    return document
