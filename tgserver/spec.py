"""The official Bot API description (api.json) and parameter validation against it."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgserver.errors import bad_request

API_JSON = Path(__file__).with_name("api.json")
PRIMITIVES = frozenset({"Integer", "Float", "String", "Boolean", "True", "InputFile"})
_INT_RE = re.compile(r"-?\d+")
# Subtypes say which value their "type" field takes: 'must be chat', 'always "emoji"'.
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    content: bytes

    def __repr__(self) -> str:
        return f"<file {self.filename!r} {self.content_type} {len(self.content)} bytes>"


@dataclass(frozen=True)
class Field:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


class _Mismatch(Exception):
    """A value does not match an expected type; the message says why."""

    def __init__(self, reason: str, specific: bool = False) -> None:
        super().__init__(reason)
        # Specific: the value looked like this type but something inside it is wrong.
        self.specific = specific


class ApiSpec:
    """Methods and types of the Bot API, loaded from api.json."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", "?"))
        self.methods = {name: _fields(m) for name, m in data["methods"].items()}
        self.types = {name: _fields(t) for name, t in data["types"].items() if "fields" in t}
        self.subtypes: dict[str, list[str]] = {
            name: list(t["subtypes"]) for name, t in data["types"].items() if "subtypes" in t
        }
        self._discriminators = {
            name: m.group(1)
            for name, t in data["types"].items()
            for f in t.get("fields", [])
            if f["name"] == "type" and (m := _DISCRIMINATOR_RE.search(f.get("description", "")))
        }
        # Telegram treats method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}

    def canonical(self, method: str) -> str | None:
        """The official spelling of a method name, or None if it does not exist."""
        return self._by_lower.get(method.lower())

    def validate(self, method: str, raw: Mapping[str, object]) -> dict[str, Any]:
        """Check and convert the raw parameters of a call; raise a 400 ApiError on the first problem."""
        fields = {f.name: f for f in self.methods[method]}
        files = {k: v for k, v in raw.items() if isinstance(v, UploadedFile)}
        attached: set[str] = set()
        params: dict[str, Any] = {}
        for name, value in raw.items():
            field = fields.get(name)
            if field is None:
                continue
            if isinstance(value, str) and value.startswith("attach://") and "InputFile" in field.types:
                attached.add(value.removeprefix("attach://"))
                value = files.get(value.removeprefix("attach://"), value)
            params[name] = self._convert(field, value)
        unknown = sorted(k for k in raw if k not in fields and k not in attached)
        if unknown:
            raise bad_request(f"unknown parameter {unknown[0]!r} for method {method}")
        for field in fields.values():
            if field.required and field.name not in params:
                raise bad_request(f"parameter {field.name!r} is required")
        return params

    def _convert(self, field: Field, value: object) -> object:
        """Convert one top-level parameter, decoding JSON-serialized objects sent as strings."""
        if isinstance(value, str) and not PRIMITIVES.intersection(field.types):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {field.name} JSON object") from None
        try:
            return self.match(value, field.types, field.name)
        except _Mismatch as exc:
            raise bad_request(str(exc)) from None

    def match(self, value: object, types: tuple[str, ...], where: str) -> object:
        """Return the value converted to the first matching type, or raise _Mismatch."""
        specific: list[_Mismatch] = []
        for type_name in types:
            try:
                return self._match_one(value, type_name, where)
            except _Mismatch as exc:
                if exc.specific or len(types) == 1:
                    specific.append(exc)
        # Report what is wrong inside the alternative the value resembles, if any.
        if specific:
            raise specific[0]
        raise _Mismatch(f"{where} must be of type {' or '.join(types)}")

    def _match_one(self, value: object, type_name: str, where: str) -> object:
        """Match against a single type name."""
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise _Mismatch(f"{where} must be an Array")
            inner = (type_name.removeprefix("Array of "),)
            try:
                return [self.match(item, inner, f"{where}[{i}]") for i, item in enumerate(value)]
            except _Mismatch as exc:
                raise _Mismatch(str(exc), specific=True) from None
        if type_name in PRIMITIVES:
            return _primitive(value, type_name, where)
        if type_name in self.subtypes:
            return self.match(value, tuple(self.subtypes[type_name]), where)
        if type_name in self.types:
            return self._match_object(value, type_name, where)
        return value  # a type the spec does not describe: nothing to check

    def _match_object(self, value: object, type_name: str, where: str) -> dict[str, Any]:
        """Match a JSON object against an API type: required fields, known fields, field types."""
        if not isinstance(value, dict):
            raise _Mismatch(f"{where} must be of type {type_name}")
        fields = {f.name: f for f in self.types[type_name]}
        expected_type = self._discriminators.get(type_name)
        if expected_type is not None and value.get("type") != expected_type:
            raise _Mismatch(f"{where} must be of type {type_name}")
        for field in fields.values():
            if field.required and field.name not in value:
                raise _Mismatch(f"{where} must be of type {type_name}: field {field.name!r} is missing")
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise _Mismatch(f"{where}: unknown field {unknown[0]!r} in {type_name}", specific=True)
        try:
            return {k: self.match(v, fields[k].types, f"{where}.{k}") for k, v in value.items()}
        except _Mismatch as exc:
            raise _Mismatch(str(exc), specific=True) from None


def _fields(entry: Mapping[str, Any]) -> list[Field]:
    """Fields of a method or type entry of api.json."""
    return [Field(f["name"], tuple(f["types"]), bool(f["required"])) for f in entry.get("fields", [])]


def _primitive(value: object, type_name: str, where: str) -> object:
    """Match a primitive type, accepting the string forms form-encoded requests use."""
    if type_name == "InputFile" and isinstance(value, UploadedFile):
        return value
    if type_name == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
    if type_name == "Float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    if type_name in ("Boolean", "True"):
        if isinstance(value, bool) and (value or type_name == "Boolean"):
            return value
        if isinstance(value, str) and value.lower() in (("true", "1") if type_name == "True" else _BOOLS):
            return value.lower() in ("true", "1")
    if type_name == "String":
        if isinstance(value, str):
            return value
        # Telegram converts JSON numbers where it expects a string.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    raise _Mismatch(f"{where} must be of type {type_name}")


_BOOLS = ("true", "false", "1", "0")


@functools.cache
def default_spec() -> ApiSpec:
    """The spec from the vendored api.json, parsed once per process."""
    with API_JSON.open(encoding="utf-8") as fh:
        return ApiSpec(json.load(fh))
