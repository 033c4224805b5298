"""Tolerant readers of a platform's JSON: typed values out, `MalformedResponse` for a wrong type.

Every platform's models read their replies with these. Each reader names what it was reading
(`what`), so the error says which field was wrong; a field that is absent is None (or empty),
because real accounts leave optional fields out.
"""

from __future__ import annotations

from collections.abc import Mapping

from ringdesk.errors import MalformedResponse

__all__ = [
    "read_object",
    "read_opt_bool",
    "read_opt_id",
    "read_opt_int",
    "read_opt_list",
    "read_opt_object",
    "read_opt_str",
    "read_required_id",
    "read_required_int",
    "read_required_str",
    "read_str_tuple",
]


def read_object(data: object, what: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{what}: expected an object, got {type(data).__name__}")
    return data


def read_opt_object(obj: Mapping[str, object], key: str, what: str) -> Mapping[str, object] | None:
    value = obj.get(key)
    if value is None:
        return None
    return read_object(value, f"{what}.{key}")


def read_opt_list(obj: Mapping[str, object], key: str, what: str) -> list[object]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedResponse(f"{what}.{key}: expected a list, got {type(value).__name__}")
    return value


def read_opt_str(obj: Mapping[str, object], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def read_required_str(obj: Mapping[str, object], key: str, what: str) -> str:
    value = read_opt_str(obj, key, what)
    if not value:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def read_opt_id(obj: Mapping[str, object], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int in Python; an id of `true` is a broken reply, not the id "True".
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedResponse(f"{what}.{key}: expected a string or integer id, got {type(value).__name__}")
    return str(value)


def read_required_id(obj: Mapping[str, object], key: str, what: str) -> str:
    value = read_opt_id(obj, key, what)
    if not value:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def read_opt_int(obj: Mapping[str, object], key: str, what: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponse(f"{what}.{key}: expected a number, got {type(value).__name__}")
    return int(value)


def read_required_int(obj: Mapping[str, object], key: str, what: str) -> int:
    value = read_opt_int(obj, key, what)
    if value is None:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def read_opt_bool(obj: Mapping[str, object], key: str, what: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedResponse(f"{what}.{key}: expected true or false, got {type(value).__name__}")
    return value


def read_str_tuple(obj: Mapping[str, object], key: str, what: str) -> tuple[str, ...]:
    items = read_opt_list(obj, key, what)
    for item in items:
        if not isinstance(item, str):
            raise MalformedResponse(f"{what}.{key}: expected strings, got {type(item).__name__}")
    return tuple(str(item) for item in items)
