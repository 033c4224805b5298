"""Every platform operation the client calls, with what must be known before sending it.

The rate-limit group comes from the official OpenAPI description (`x-throttling-group` of each
operation) so the ledger can hold a request back before it is sent; the server's
`X-Rate-Limit-Group` header refines it afterwards if the platform regroups an operation.

`resend_safe` says whether the client may send the same request again on its own after a
failure that leaves the outcome unknown (connection dropped, 5xx, 429/503). Only requests
whose repetition cannot do anything twice qualify:

- GETs: reading twice is harmless.
- DELETE of a telephony session (hang up): ending an ended call is a 404, never a second effect.
- DELETE of a RingOut (cancel): also safe to repeat (a second cancel cannot place or cancel a
  different call; at worst it answers 404), but it is in the Heavy group, so each re-send spends
  one of the ten per minute that placing calls also needs. It is re-sent, because a person who
  pressed Cancel needs the phone to stop ringing, and the ledger still guards the budget.
- Never: placing a RingOut (a duplicate call is worse than an error), and anything on the token
  endpoint: the session alone decides when to renew (one refresh at a time), and asks again
  after its back-off when an answer was lost, which the platform's grace period answers with the
  same new tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ENDPOINTS", "Endpoint", "RateGroup"]


class RateGroup(StrEnum):
    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"
    AUTH = "Auth"


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    method: str
    path: str  # a template: `{id}` is replaced by a quoted path segment
    group: str
    resend_safe: bool
    authenticated: bool = True  # sends the bearer token; False for the OAuth endpoints
    oauth: bool = False  # errors come in the OAuth shape and become OAuthError


_EXT = "/restapi/v1.0/account/~/extension/~"
_SESSION = "/restapi/v1.0/account/~/telephony/sessions/{id}"

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("token", "POST", "/restapi/oauth/token", RateGroup.AUTH, False, False, True),
        Endpoint("revoke", "POST", "/restapi/oauth/revoke", RateGroup.AUTH, False, False, True),
        # The push gateway's token: bearer-authenticated, Auth group, and never re-sent on its own
        # (the push client's own back-off decides when to ask again).
        Endpoint("ws_token", "POST", "/restapi/oauth/wstoken", RateGroup.AUTH, False),
        Endpoint("extension", "GET", _EXT, RateGroup.LIGHT, True),
        Endpoint("forwarding_numbers", "GET", f"{_EXT}/forwarding-number", RateGroup.LIGHT, True),
        Endpoint("phone_numbers", "GET", f"{_EXT}/phone-number", RateGroup.LIGHT, True),
        Endpoint("caller_id", "GET", f"{_EXT}/caller-id", RateGroup.LIGHT, True),
        Endpoint("devices", "GET", f"{_EXT}/device", RateGroup.LIGHT, True),
        Endpoint("presence", "GET", f"{_EXT}/presence", RateGroup.LIGHT, True),
        Endpoint("call_log", "GET", f"{_EXT}/call-log", RateGroup.HEAVY, True),
        Endpoint("directory", "GET", "/restapi/v1.0/account/~/directory/entries", RateGroup.MEDIUM, True),
        Endpoint("ringout_create", "POST", f"{_EXT}/ring-out", RateGroup.HEAVY, False),
        Endpoint("ringout_status", "GET", f"{_EXT}/ring-out/{{id}}", RateGroup.LIGHT, True),
        Endpoint("ringout_cancel", "DELETE", f"{_EXT}/ring-out/{{id}}", RateGroup.HEAVY, True),
        Endpoint("session_get", "GET", _SESSION, RateGroup.LIGHT, True),
        Endpoint("session_delete", "DELETE", _SESSION, RateGroup.LIGHT, True),
    )
}
