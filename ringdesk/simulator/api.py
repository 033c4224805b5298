"""REST API handlers: the extension's data, RingOut, telephony sessions, presence and the call log.

Shapes follow the official OpenAPI description (GetExtensionInfoResponse,
GetExtensionForwardingNumberListResponse, GetExtensionPhoneNumbersResponse, GetExtensionDevicesResponse,
GetRingOutStatusResponse, CallSessionObject, PresenceInfoResponse, CallLogResponse). Authentication,
rate limiting and the app-permission check happen in `app.api_endpoint` before any of these run.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ringdesk.simulator.app import RequestContext, api_endpoint
from ringdesk.simulator.calls import Phase
from ringdesk.simulator.responses import api_error
from ringdesk.simulator.scenario import Country, ForwardingNumber, Timings, User

log = logging.getLogger("ringdesk.simulator")

_E164 = re.compile(r"\+?[1-9]\d{6,14}")


def normalize_e164(number: str) -> str | None:
    """'+1 (650) 555-0100' -> '+16505550100'; None when it cannot be an E.164 number."""
    compact = re.sub(r"[\s().-]", "", number)
    if not _E164.fullmatch(compact):
        return None
    return "+" + compact.lstrip("+")


# --- the extension's data ------------------------------------------------------------------------------


def _default_caller_id(user: User) -> str | None:
    """The number RingOut shows when the request names none: the primary caller-ID number, else
    any caller-ID number (None: the account's main number)."""
    primary = [n for n in user.phone_numbers if "CallerId" in n.features and n.primary]
    chosen = primary or [n for n in user.phone_numbers if "CallerId" in n.features]
    return normalize_e164(chosen[0].phone_number) if chosen else None


@api_endpoint("Light", "ReadAccounts")
async def read_extension(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    base, account = ctx.base_url, ctx.sim.scenario.account
    country = user.home_country
    direct = next((n.phone_number for n in user.phone_numbers if n.usage_type == "DirectNumber"), None)
    contact: dict[str, Any] = {
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "company": account.company,
        "emailAsLoginName": False,
    }
    if direct:
        contact["businessPhone"] = direct
    features = []
    for name, enabled in user.service_features.items():
        feature: dict[str, Any] = {"featureName": name, "enabled": enabled}
        if not enabled:
            feature["reason"] = "ServicePlanLimitation"
        features.append(feature)
    body = {
        "id": user.extension_id,
        "uri": f"{base}{_extension_path(ctx, user)}",
        "account": {"id": str(account.id), "uri": f"{base}/restapi/v1.0/account/{account.id}"},
        "contact": contact,
        "extensionNumber": user.extension_number,
        "name": user.name,
        "type": "User",
        "status": "Enabled",
        "hidden": False,
        "setupWizardState": "Completed",
        "permissions": {
            "admin": {"enabled": False},
            "internationalCalling": {"enabled": user.feature_enabled("InternationalCalling")},
        },
        "regionalSettings": {
            "homeCountry": {
                **_country_reference(base, country),
                "isoCode": country.iso_code,
                "callingCode": country.calling_code,
            },
            "timezone": {
                "id": "58",
                "name": "US/Pacific",
                "description": "Pacific Time (US & Canada)",
                "bias": "-480",
            },
            "language": {"id": "1033", "name": "English (United States)", "localeCode": "en-US"},
            "formattingLocale": {"id": "1033", "name": "English (United States)", "localeCode": "en-US"},
            "timeFormat": "12h",
        },
        "serviceFeatures": features,
    }
    return JSONResponse(body)


@api_endpoint("Light", "ReadAccounts")
async def list_forwarding_numbers(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    path = _extension_path(ctx, user)
    records = [_forwarding_record(ctx.base_url, path, f) for f in user.forwarding_numbers]
    return _paged(request, ctx, records)


@api_endpoint("Light", "ReadAccounts")
async def read_caller_id(request: Request, ctx: RequestContext) -> Response:
    """The extension's caller ID settings: RingOut shows the number `create_ringout` defaults to."""
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    default = _default_caller_id(user) or ctx.sim.scenario.account.main_number
    number = next((n for n in user.phone_numbers if normalize_e164(n.phone_number) == default), None)
    phone_info: dict[str, Any] = {"phoneNumber": default}
    if number is not None:
        phone_info["id"] = str(number.id)
    return JSONResponse(
        {
            "uri": f"{ctx.base_url}{_extension_path(ctx, user)}/caller-id",
            "byFeature": [
                {"feature": "RingOut", "callerId": {"type": "PhoneNumber", "phoneInfo": phone_info}},
            ],
            "extensionNameForOutboundCalls": False,
            "extensionNumberForInternalCalls": False,
        }
    )


@api_endpoint("Light", "ReadAccounts")
async def list_phone_numbers(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    base, account = ctx.base_url, ctx.sim.scenario.account
    country = user.home_country
    records: list[dict[str, Any]] = []
    for number in user.phone_numbers:
        record: dict[str, Any] = {
            "id": number.id,
            "uri": f"{base}/restapi/v1.0/account/{account.id}/phone-number/{number.id}",
            "phoneNumber": number.phone_number,
            "country": _country_reference(base, country),
            "paymentType": number.payment_type,
            "primary": number.primary,
            "status": "Normal",
            "type": number.type,
            "usageType": number.usage_type,
            "features": list(number.features),
        }
        if number.label:
            record["label"] = number.label
        if number.usage_type == "DirectNumber":
            record["extension"] = _extension_reference(ctx, user)
        records.append(record)
    return _paged(request, ctx, records)


@api_endpoint("Light", "ReadAccounts")
async def list_devices(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    base, account = ctx.base_url, ctx.sim.scenario.account
    records: list[dict[str, Any]] = []
    for device in user.devices:
        record: dict[str, Any] = {
            "id": device.id,
            "uri": f"{base}/restapi/v1.0/account/{account.id}/device/{device.id}",
            "type": device.type,
            "name": device.name,
            "status": device.status,
            "extension": _extension_reference(ctx, user),
        }
        if device.serial:
            record["serial"] = device.serial
        records.append(record)
    return _paged(request, ctx, records)


# --- RingOut ---------------------------------------------------------------------------------------------


@api_endpoint("Heavy", "RingOut")
async def create_ringout(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    if not user.feature_enabled("RingOut"):
        return api_error(
            403, "CMN-112", "RingOut is not available for this extension (service feature disabled)"
        )
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        return api_error(400, "CMN-103", "JSON can't be parsed.")
    if not isinstance(body, dict):
        return api_error(400, "CMN-101", "Request body must be a JSON object")

    to = body.get("to")
    to_raw = to.get("phoneNumber") if isinstance(to, dict) else None
    if not isinstance(to_raw, str) or not to_raw.strip():
        return api_error(400, "CMN-100", "Parameter [to.phoneNumber] is required", parameter="to.phoneNumber")
    # An extension of the same account is called by its short number, as RingCentral's own apps do.
    extensions = {u.extension_number for u in ctx.sim.scenario.account.users}
    to_number = to_raw.strip() if to_raw.strip() in extensions else normalize_e164(to_raw)
    if to_number is None:
        return api_error(
            400, "TEL-109", "Invalid 'to' phone number: it must be in E.164 format", "to.phoneNumber"
        )

    origin = body.get("from")
    if origin is None:
        # The guide allows leaving `from` out when the user has a forwarding number to default to.
        default = next(iter(user.forwarding_numbers), None)
        if default is None:
            return api_error(400, "CMN-100", "Parameter [from] is required", parameter="from")
        from_number = normalize_e164(default.phone_number) or default.phone_number
    elif not isinstance(origin, dict):
        return api_error(400, "TEL-108", "Invalid 'from' phone number", parameter="from")
    elif origin.get("forwardingNumberId") is not None:
        wanted = str(origin["forwardingNumberId"])
        match = next((f for f in user.forwarding_numbers if f.id is not None and f.id == wanted), None)
        if match is None:
            return api_error(
                404,
                "CMN-102",
                "Resource for parameter [forwardingNumberId] is not found",
                "from.forwardingNumberId",
            )
        from_number = normalize_e164(match.phone_number) or match.phone_number
    else:
        from_raw = origin.get("phoneNumber")
        checked = normalize_e164(from_raw) if isinstance(from_raw, str) else None
        if checked is None:
            return api_error(
                400, "TEL-108", "Invalid 'from' phone number: it must be in E.164 format", "from.phoneNumber"
            )
        from_number = checked

    caller_ids = {
        normalize_e164(n.phone_number): n.phone_number for n in user.phone_numbers if "CallerId" in n.features
    }
    caller = body.get("callerId")
    caller_raw = caller.get("phoneNumber") if isinstance(caller, dict) else None
    if caller_raw:
        caller_id = normalize_e164(caller_raw) if isinstance(caller_raw, str) else None
        if caller_id is None or caller_id not in caller_ids:
            return api_error(
                400,
                "TEL-107",
                "The number given as callerId may not be used as caller ID for this extension",
                "callerId.phoneNumber",
            )
    else:
        caller_id = _default_caller_id(user) or ctx.sim.scenario.account.main_number
    play_prompt = body.get("playPrompt", False)
    if not isinstance(play_prompt, bool):
        return api_error(400, "CMN-101", "Parameter [playPrompt] value is invalid", parameter="playPrompt")

    sim = ctx.sim
    outcomes = {normalize_e164(k) or k: v for k, v in sim.scenario.outcomes.items()}
    call = sim.calls.create(
        outcomes,
        owner=user.extension_id,
        account_id=sim.scenario.account.id,
        client_id=ctx.client_id,
        from_number=from_number,
        to_number=to_number,
        caller_id=caller_id or sim.scenario.account.main_number,
        play_prompt=play_prompt,
        timings=_copy_timings(ctx),
    )
    outcome = f"{call.outcome.status} on the {call.outcome.leg} leg" if call.outcome else "success"
    log.info(
        "RingOut %s placed by extension %s (planned outcome: %s)", call.id, user.extension_number, outcome
    )
    return JSONResponse(call.ringout_body(ctx.base_url, sim.calls.now()))


@api_endpoint("Light", "RingOut")
async def read_ringout(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    call = ctx.sim.calls.ringout(request.path_params["ringoutId"])
    if call is None or call.owner != user.extension_id:
        return _ringout_not_found()
    return JSONResponse(call.ringout_body(ctx.base_url, ctx.sim.calls.now()))


@api_endpoint("Heavy", "RingOut")
async def cancel_ringout(request: Request, ctx: RequestContext) -> Response:
    """Cancel before the call connects (204). Once connected the platform will not end the call through this
    endpoint; the simulator answers 409 `RNG-109` (its choice: the spec documents only 204) and points at Call
    Control. A call that has already ended is simply removed (204)."""
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    calls = ctx.sim.calls
    call = calls.ringout(request.path_params["ringoutId"])
    if call is None or call.owner != user.extension_id:
        return _ringout_not_found()
    now = calls.now()
    phase = call.state(now).phase
    if phase is Phase.CONNECTED:
        # RNG-109 is the simulator's code: the platform documents none for a cancel after connect.
        return api_error(
            409,
            "RNG-109",
            "The RingOut call is already connected and cannot be cancelled; hang it up through Call Control "
            "(DELETE /restapi/v1.0/account/~/telephony/sessions/{telephonySessionId})",
        )
    if phase.before_connect:
        call.end(now, Phase.CANCELLED)
        log.info("RingOut %s cancelled before it connected", call.id)
    else:
        call.deleted = True
    return Response(status_code=204)


def _ringout_not_found() -> Response:
    return api_error(404, "CMN-102", "Resource for parameter [ringoutId] is not found", parameter="ringoutId")


# --- Call Control and presence -------------------------------------------------------------------------


@api_endpoint("Light", "CallControl")
async def read_session(request: Request, ctx: RequestContext) -> Response:
    account_error = _check_account(request, ctx)
    if account_error is not None:
        return account_error
    call = ctx.sim.calls.session(request.path_params["telephonySessionId"])
    if call is None or call.owner != ctx.user.extension_id:
        return _session_not_found()
    return JSONResponse(call.session_body(ctx.sim.calls.now()))


@api_endpoint("Light", "CallControl")
async def delete_session(request: Request, ctx: RequestContext) -> Response:
    """Hang up: the RingOut ends as Finished on both legs. A session that has already ended 404s."""
    account_error = _check_account(request, ctx)
    if account_error is not None:
        return account_error
    calls = ctx.sim.calls
    call = calls.session(request.path_params["telephonySessionId"])
    now = calls.now()
    if call is None or call.owner != ctx.user.extension_id or call.state(now).phase.ended:
        return _session_not_found()
    call.end(now, Phase.FINISHED)
    log.info("telephony session of RingOut %s hung up", call.id)
    return Response(status_code=204)


def _session_not_found() -> Response:
    return api_error(
        404,
        "CMN-102",
        "Resource for parameter [telephonySessionId] is not found",
        parameter="telephonySessionId",
    )


@api_endpoint("Light", "ReadPresence")
async def read_presence(request: Request, ctx: RequestContext) -> Response:
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    # The same statuses a presence event carries; active calls only with the detailed state.
    presence = ctx.sim.presence(user.extension_id)
    entries = presence.pop("activeCalls")
    presence.pop("totalActiveCalls")
    body: dict[str, Any] = {
        "uri": f"{ctx.base_url}{_extension_path(ctx, user)}/presence",
        "extension": _extension_reference(ctx, user),
        **presence,
    }
    if request.query_params.get("detailedTelephonyState", "").lower() == "true":
        body["activeCalls"] = entries
    return JSONResponse(body)


# --- helpers --------------------------------------------------------------------------------------------


@api_endpoint("Heavy", "ReadCallLog")
async def read_call_log(request: Request, ctx: RequestContext) -> Response:
    """The extension's RingOut calls that have ended, newest first: a minimal call log.

    `dateFrom`/`dateTo` (ISO 8601) bound `startTime`; `direction` and `type` filter as documented.
    Only RingOut calls exist in the simulator, so every record is an outbound voice call.
    """
    user = _resolve(request, ctx)
    if isinstance(user, Response):
        return user
    bounds: dict[str, datetime | None] = {}
    for name in ("dateFrom", "dateTo"):
        raw = request.query_params.get(name)
        try:
            moment = None if raw is None else datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return api_error(400, "CMN-101", f"Parameter [{name}] value is invalid", parameter=name)
        # A time without a zone is UTC, as the platform reads it.
        bounds[name] = moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
    wanted = {
        name: request.query_params.get(name) for name in ("direction", "type") if name in request.query_params
    }
    calls = ctx.sim.calls
    now = calls.now()
    records = []
    for call in calls.ended_for(user.extension_id):
        record = call.call_log_record(ctx.base_url, now)
        if record is None or any(record[name] != value for name, value in wanted.items()):
            continue
        started, earliest, latest = call.created_wall, bounds["dateFrom"], bounds["dateTo"]
        if (earliest is not None and started < earliest) or (latest is not None and started > latest):
            continue
        records.append(record)
    return _paged(request, ctx, records)


@api_endpoint("Medium", "ReadAccounts")
async def list_directory(request: Request, ctx: RequestContext) -> Response:
    """The company directory, paged (`page`, `perPage` up to 1000, or `all`), by `type` and `siteId`."""
    account_error = _check_account(request, ctx)
    if account_error is not None:
        return account_error
    params = request.query_params
    account = ctx.sim.scenario.account
    entries = [
        entry
        for entry in ctx.sim.directory
        if params.get("type") in (None, entry.type) and params.get("siteId") in (None, entry.site.id)
    ]
    per_page_raw, page_raw = params.get("perPage", "1000"), params.get("page", "1")
    if per_page_raw in ("all", "max"):
        per_page_raw = str(max(len(entries), 1)) if per_page_raw == "all" else "1000"
    for name, raw in (("perPage", per_page_raw), ("page", page_raw)):
        if not (raw.isdigit() and 1 <= int(raw) <= 1000):
            # The directory has error codes of its own (ADG-), as the official description lists them.
            return api_error(400, "ADG-121", f"Parameter [{name}] is invalid.", parameter=name)
    page, per_page = int(page_raw), int(per_page_raw)
    start = (page - 1) * per_page
    chunk = entries[start : start + per_page]
    paging: dict[str, int] = {
        "page": page,
        "perPage": per_page,
        "totalPages": math.ceil(len(entries) / per_page),
        "totalElements": len(entries),
    }
    if chunk:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(chunk) - 1
    return JSONResponse({"records": [entry.record(account) for entry in chunk], "paging": paging})


@api_endpoint("Medium", "ReadAccounts")
async def read_directory_entry(request: Request, ctx: RequestContext) -> Response:
    account_error = _check_account(request, ctx)
    if account_error is not None:
        return account_error
    wanted = request.path_params["entryId"]
    entry = next((e for e in ctx.sim.directory if e.id == wanted), None)
    if entry is None:
        return api_error(404, "ADG-122", "Contact not found.")
    return JSONResponse(entry.record(ctx.sim.scenario.account))


def _check_account(request: Request, ctx: RequestContext) -> Response | None:
    account_id = request.path_params.get("accountId", "~")
    if account_id not in ("~", str(ctx.sim.scenario.account.id)):
        return api_error(
            404, "CMN-102", "Resource for parameter [accountId] is not found", parameter="accountId"
        )
    return None


def _resolve(request: Request, ctx: RequestContext) -> User | Response:
    """The extension the path names: `~` or the token owner's id. Another user's id is forbidden."""
    account_error = _check_account(request, ctx)
    if account_error is not None:
        return account_error
    wanted = request.path_params.get("extensionId", "~")
    if wanted in ("~", str(ctx.user.extension_id)):
        return ctx.user
    if wanted.isdigit() and ctx.sim.user(int(wanted)) is not None:
        return api_error(
            403,
            "CMN-408",
            "In order to call this API endpoint, user needs to have [ReadExtensions] permission "
            "for requested resource.",
        )
    return api_error(
        404, "CMN-102", "Resource for parameter [extensionId] is not found", parameter="extensionId"
    )


def _extension_path(ctx: RequestContext, user: User) -> str:
    return f"/restapi/v1.0/account/{ctx.sim.scenario.account.id}/extension/{user.extension_id}"


def _extension_reference(ctx: RequestContext, user: User) -> dict[str, Any]:
    """How another record points at an extension: its id, its URI and its number."""
    return {
        "id": user.extension_id,
        "uri": f"{ctx.base_url}{_extension_path(ctx, user)}",
        "extensionNumber": user.extension_number,
    }


def _country_reference(base: str, country: Country) -> dict[str, Any]:
    """How a record points at a country of the dictionary: its id, its URI and its name."""
    return {
        "id": country.id,
        "uri": f"{base}/restapi/v1.0/dictionary/country/{country.id}",
        "name": country.name,
    }


def _forwarding_record(base: str, extension_path: str, number: ForwardingNumber) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if number.id is not None:
        record["id"] = number.id
        record["uri"] = f"{base}{extension_path}/forwarding-number/{number.id}"
    record["phoneNumber"] = number.phone_number
    record["label"] = number.label
    record["features"] = list(number.features)
    if number.type is not None:
        record["type"] = number.type
    if number.device_id is not None:
        record["device"] = {"id": number.device_id}
    return record


def _paged(request: Request, ctx: RequestContext, records: list[dict[str, Any]]) -> Response:
    values: dict[str, int] = {}
    for name, default in (("page", 1), ("perPage", 100)):
        raw = request.query_params.get(name)
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= 1000:
            return api_error(400, "CMN-101", f"Parameter [{name}] value is invalid", parameter=name)
        values[name] = value
    page, per_page = values["page"], values["perPage"]
    total = len(records)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    chunk = records[start : start + per_page]
    paging: dict[str, int] = {
        "page": page,
        "perPage": per_page,
        "totalPages": total_pages,
        "totalElements": total,
    }
    if chunk:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(chunk) - 1
    url = f"{ctx.base_url}{request.url.path}"

    def link(number: int) -> dict[str, str]:
        return {"uri": f"{url}?{urlencode({'page': number, 'perPage': per_page})}"}

    navigation = {"firstPage": link(1), "lastPage": link(max(total_pages, 1))}
    if page < total_pages:
        navigation["nextPage"] = link(page + 1)
    if 1 < page <= total_pages + 1:
        navigation["previousPage"] = link(page - 1)
    return JSONResponse(
        {"uri": link(page)["uri"], "records": chunk, "paging": paging, "navigation": navigation}
    )


def _copy_timings(ctx: RequestContext) -> Timings:
    # Each call keeps the timings it was placed with, whatever the control API changes later.
    return replace(ctx.sim.scenario.timings)
