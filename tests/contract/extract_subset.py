"""Cut the part of RingCentral's public OpenAPI description that RingDesk relies on.

The full description is about 1.7 MB; the contract tests need only the operations RingDesk calls and the
components those operations reach. Keeping the subset small makes it reviewable in a diff when it is
regenerated from a newer description.

Usage:
    python tests/contract/extract_subset.py /path/to/rc-public-openapi.yml [--output FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SOURCE_NAME = "RingCentral's public OpenAPI description (rc-public-openapi.yml, OpenAPI 3.0.3)"
SOURCE_PUBLISHED = "2026-08-13"
SOURCE_LICENSE = "MIT license"
DEFAULT_OUTPUT = Path(__file__).with_name("rc-openapi-subset.yml")

_ACCOUNT = "/restapi/v1.0/account/{accountId}"
_EXTENSION = _ACCOUNT + "/extension/{extensionId}"

# Every operation RingDesk calls, in the order a reader meets them in the app.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", "/restapi/oauth/authorize"),
    # The authorization request by POST, which the platform answers as it answers a GET.
    ("post", "/restapi/oauth/authorize"),
    ("post", "/restapi/oauth/token"),
    ("post", "/restapi/oauth/revoke"),
    ("post", "/restapi/oauth/wstoken"),
    ("get", _EXTENSION),
    ("get", _EXTENSION + "/forwarding-number"),
    ("get", _EXTENSION + "/phone-number"),
    # Which number RingOut shows when RingDesk names none ("Account default" in the phone picker).
    ("get", _EXTENSION + "/caller-id"),
    ("get", _EXTENSION + "/device"),
    ("post", _EXTENSION + "/ring-out"),
    ("get", _EXTENSION + "/ring-out/{ringoutId}"),
    ("delete", _EXTENSION + "/ring-out/{ringoutId}"),
    ("get", _ACCOUNT + "/telephony/sessions/{telephonySessionId}"),
    ("delete", _ACCOUNT + "/telephony/sessions/{telephonySessionId}"),
    ("get", _EXTENSION + "/presence"),
    # How a call whose status is gone ended.
    ("get", _EXTENSION + "/call-log"),
    # Push notifications subscribe through this operation.
    ("post", "/restapi/v1.0/subscription"),
    # The company directory: people, queues and shared lines, by name and number.
    ("get", _ACCOUNT + "/directory/entries"),
    ("get", _ACCOUNT + "/directory/entries/{entryId}"),
)

# Components every response may fall back to: the platform answers any operation with these error bodies
# (401, 403, 404, 429, 5xx) even where the operation declares only its success response, so the validator
# needs them whether or not the chosen operations name them.
ALWAYS_KEEP: tuple[str, ...] = (
    "#/components/responses/InvalidRequest",
    "#/components/responses/OauthInvalidRequest",
    "#/components/responses/Unauthorized",
    "#/components/responses/Forbidden",
    "#/components/responses/NotFound",
    "#/components/responses/TooManyRequests",
    "#/components/responses/InternalError",
    "#/components/responses/ServiceNotAvailable",
    "#/components/responses/UnsupportedMediaType",
    "#/components/responses/Conflict",
    "#/components/responses/BadGateway",
)

_PATH_ITEM_FIELDS = ("summary", "description", "servers", "parameters")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a new description holding only OPERATIONS and what they reference."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        try:
            operation = spec["paths"][path][method]
        except KeyError:
            raise SystemExit(f"the source description has no operation {method.upper()} {path}") from None
        item = paths.setdefault(
            path, {k: v for k, v in spec["paths"][path].items() if k in _PATH_ITEM_FIELDS}
        )
        item[method] = operation
    # Keep the source's order of methods within a path so a regenerated file diffs cleanly.
    for path, item in paths.items():
        paths[path] = {k: item[k] for k in spec["paths"][path] if k in item}

    components = spec.get("components", {})
    kept: dict[str, dict[str, Any]] = {}
    pending = [*ALWAYS_KEEP, *_refs_in(paths)]
    while pending:
        ref = pending.pop()
        section, name = _split_component_ref(ref)
        if name in kept.get(section, {}):
            continue
        try:
            target = components[section][name]
        except KeyError:
            raise SystemExit(f"the source description references {ref}, which it does not define") from None
        kept.setdefault(section, {})[name] = target
        pending.extend(_refs_in(target))

    # Security requirements name schemes instead of referencing them, so collect those names separately.
    schemes = components.get("securitySchemes", {})
    for name in sorted(_security_scheme_names(spec, paths)):
        if name in schemes:
            kept.setdefault("securitySchemes", {})[name] = schemes[name]

    used_tags = {
        tag for item in paths.values() for m in _HTTP_METHODS for tag in item.get(m, {}).get("tags", [])
    }
    subset: dict[str, Any] = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec.get("servers", []),
    }
    if "security" in spec:
        subset["security"] = spec["security"]
    subset["tags"] = [tag for tag in spec.get("tags", []) if tag.get("name") in used_tags]
    subset["paths"] = paths
    subset["components"] = {
        section: dict(sorted(kept[section].items())) for section in components if section in kept
    }
    return subset


def render(subset: dict[str, Any], extracted_on: dt.date) -> str:
    operations = "\n".join(f"#   {method.upper():6} {path}" for method, path in OPERATIONS)
    header = (
        f"# A subset of {SOURCE_NAME},\n"
        f"# published {SOURCE_PUBLISHED} under the {SOURCE_LICENSE}. The `info.license` block below is the\n"
        "# description's own notice and names the agreement that governs use of the RingCentral API itself.\n"
        f"# Extracted {extracted_on.isoformat()}; do not edit by hand. Regenerate with:\n"
        "#   python tests/contract/extract_subset.py /path/to/rc-public-openapi.yml\n"
        "# It holds these operations, unchanged, and every component they reach through $ref, plus the\n"
        "# common error responses (components/responses) that the platform returns from any operation:\n"
        f"{operations}\n"
    )
    body: str = yaml.safe_dump(subset, sort_keys=False, allow_unicode=True, width=120)
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the full rc-public-openapi.yml")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    with args.source.open(encoding="utf-8") as fh:
        # The C loader parses the 1.7 MB source in about a second instead of fifteen.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        spec = yaml.load(fh, Loader=loader)
    subset = extract(spec)
    text = render(subset, dt.datetime.now(dt.UTC).date())
    args.output.write_text(text, encoding="utf-8")
    counts = ", ".join(f"{len(v)} {k}" for k, v in subset["components"].items())
    print(f"wrote {args.output} ({len(text.encode()) // 1024} KB): {len(OPERATIONS)} operations; {counts}")
    return 0


def _refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs_in(value)


def _split_component_ref(ref: str) -> tuple[str, str]:
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"]:
        raise SystemExit(
            f"unsupported reference {ref!r}: only local #/components/<section>/<name> is handled"
        )
    return parts[2], parts[3]


def _security_scheme_names(spec: dict[str, Any], paths: dict[str, dict[str, Any]]) -> set[str]:
    requirements: list[dict[str, Any]] = list(spec.get("security", []))
    for item in paths.values():
        for method in _HTTP_METHODS:
            requirements.extend(item.get(method, {}).get("security", []))
    return {name for requirement in requirements for name in requirement}


if __name__ == "__main__":
    sys.exit(main())
