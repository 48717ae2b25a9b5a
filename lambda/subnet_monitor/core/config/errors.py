"""Refusals: :class:`ConfigError`, and the one place a pydantic ``ValidationError`` becomes one.

Every door (cdk.json at synth, the CLI's flags, the Lambda's environment) refuses a bad value with
the same message: the key (a dotted path for nested keys, ``cni.prod.warmIpTarget``), the value, and
why. The models declare the *why* next to each type with :func:`refusing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, WrapValidator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

# Longer value representations are cut in messages: a refusal names the value, it does not echo a page.
VALUE_REPR_MAX = 80
REFUSED = "refused"

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration value was refused; the message names the key and the value."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        shown = repr(value)
        # The value as messages show it: cut, so a refusal never echoes a page (or 50 MB).
        self.shown = shown if len(shown) <= VALUE_REPR_MAX else shown[: VALUE_REPR_MAX - 1] + "…"
        super().__init__(f"{key}: {self.shown} {reason}")


class Model(BaseModel):
    """The configuration models' common rules: camel-case keys as in cdk.json, nothing unknown, frozen."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def refuse(reason: str) -> PydanticCustomError:
    """The error a field validator raises: the key and the value come from where it stands."""
    return PydanticCustomError(REFUSED, reason)


def refusing(reason: str, *, shape: Sequence[str] = (), every: bool = False) -> WrapValidator:
    """Validate with the annotated type; refuse a value it rejects with ``reason``.

    Only errors about the value itself are replaced (those of its items or keys keep their own
    reason), plus errors of the types in ``shape`` one level down: a missing or unknown key of a
    small fixed object is a wrong shape of the object, not a fault of one key. ``every`` replaces
    all errors: a union's members each complain, and one reason for the value reads better.
    """

    def validate(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            # A value_error is a model's own rule (a ConfigError): it names its key better than ``reason``.
            ours = [e for e in error.errors() if e["type"] != "value_error"]
            if every or any(not e["loc"] or (len(e["loc"]) == 1 and e["type"] in shape) for e in ours):
                raise refuse(reason) from None
            raise

    return WrapValidator(validate)


def validate(model: type[ModelT], raw: Any, *, name: str | None = None) -> ModelT:
    """``model`` validated from ``raw`` (keys as in cdk.json).

    Raises
    ------
    ConfigError
        for the first refused value; ``name``, when given, is where ``raw`` came from (e.g. an
        environment variable) and prefixes the key.
    """
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise refusal_of(error, model, raw, within=name) from None


def refusal_of(error: ValidationError, model: type[BaseModel], raw: Any, *, within: str | None = None) -> ConfigError:
    """The first of ``error``'s complaints as a :class:`ConfigError`; ``within`` prefixes the key."""
    first = error.errors()[0]
    path, _ = _key_path(first["loc"], raw)
    raised = (first.get("ctx") or {}).get("error")
    if isinstance(raised, ConfigError):  # a model's cross-field rule, naming a key of that model
        path = ".".join(k for k in (path, raised.key) if k)
    key = ".".join(k for k in (within, path) if k) or "subnet-monitor"
    if isinstance(raised, ConfigError):
        return ConfigError(key, raised.value, raised.reason)
    if first["type"] == "model_type" and not path:
        return ConfigError(key, first["input"], "must be a JSON object")
    if first["type"] == "extra_forbidden":
        known = _known_keys(model, first["loc"])
        return ConfigError(key, first["input"], f"is not a known key; known: {', '.join(known)}")
    if first["type"] == "missing":
        return ConfigError(key, None, "is required")
    if "[key]" in first["loc"]:
        return ConfigError(key, first["input"], first["msg"] if first["type"] == REFUSED else "is not a valid key")
    return ConfigError(key, first["input"], first["msg"] if first["type"] == REFUSED else _lower(first["msg"]))


def _key_path(loc: tuple[int | str, ...], raw: Any) -> tuple[str, Any]:
    # pydantic's location also holds union members ("str", "list[str]") and "[key]" marks: follow
    # the input instead, so the key is what the user wrote. List positions are left out of the key
    # ("environments.account"), as the value already shows which item it is.
    keys: list[str] = []
    node = raw
    for part in loc:
        if part == "[key]":
            return ".".join(keys[:-1]), node
        if isinstance(node, Mapping) and part in node:
            keys.append(str(part))
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str):
            keys.append(part)  # a key that is missing or unknown
        # anything else is a union member's tag: not in the input, not in the key
    return ".".join(keys), node


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    # The aliases of the model the unknown key sits in: walk the fields down the location.
    current = model
    for part in loc[:-1]:
        fields = {field.alias or name: field for name, field in current.model_fields.items()}
        if part in fields:
            field = fields[part]
            current = _model_in((field.annotation, *field.metadata)) or current
    return [field.alias or name for name, field in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    # The first model in a type, its arguments (Annotated, dict, union) or a "wire" shape it declares.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if annotation is None:
        return None
    arguments = annotation if isinstance(annotation, tuple) else get_args(annotation)
    for argument in (*arguments, getattr(annotation, "wire", None)):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]
