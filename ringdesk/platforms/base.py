"""The seam between RingDesk's core and a calling platform: one protocol and the neutral words it speaks.

A calling platform is a cloud phone system that can "ring the operator's phone, then connect the
destination" (RingCentral's RingOut; other cloud PBXs have the same model). The core (`ringdesk.auth`,
`ringdesk.calls`, `ringdesk.connection`) and the windows know only what is here; each platform
package (`ringdesk.platforms.ringcentral`) turns its own requests, records and status words into
these types.

    platform.identity()                 -> Identity        who is signed in
    platform.account_phones()           -> AccountPhones   the phones it can ring first, caller IDs
    platform.place_call(...)            -> CallProgress    the call as placed
    platform.call_progress(call_id)     -> CallProgress    the call now (NotFound once it is gone)
    platform.final_record(call)         -> CallProgress?   how a call it no longer reports ended
    platform.cancel_call(call_id)                          stop it while it rings
    platform.hang_up(call)                                 end it once connected
    platform.budget(Action.PLACE)       -> Budget          how often each may be done
    platform.place_failure(error)       -> (sentence, code) for a call that could not be placed
    platform.call_feed                  -> CallFeed?       progress pushed as it happens, if any

A `CallFeed` is how a platform that pushes call events (RingCentral: telephony-session events over
its WebSocket gateway) tells the core the moment a call changes; polling `call_progress` covers
whatever the feed cannot (before the feed matched the call to its events, or while it is down).

Sign-in is a protocol of its own (`OAuthPlatform`), because how a platform signs in differs more
than how it calls: RingCentral uses OAuth 2.0; a platform that signs in with an API key would bring
its own. `Platform` is both, which is what a connection holds today; `ringdesk.platforms.registry`
builds one for the connection settings.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from ringdesk.errors import RingDeskError
from ringdesk.platforms.oauth import TokenSet

__all__ = [
    "AccountPhones",
    "Action",
    "AuthHook",
    "Budget",
    "CallAlreadyConnected",
    "CallFeed",
    "CallFeedListener",
    "CallHandle",
    "CallNotFound",
    "CallProgress",
    "CallerId",
    "CallingPlatform",
    "DefaultCallerId",
    "Failure",
    "Identity",
    "Leg",
    "LegStatus",
    "OAuthPlatform",
    "Person",
    "PersonNumber",
    "Phone",
    "Platform",
    "PlatformKind",
]


class PlatformKind(StrEnum):
    """Which platform a connection, a call record or a call id belongs to (stored as this text)."""

    RINGCENTRAL = "ringcentral"


# --------------------------------------------------------------------------- who and which phones


@dataclass(frozen=True)
class Identity:
    """Who is signed in. `account_id` is empty when the platform's answers did not name it."""

    account_id: str
    extension_id: str
    extension_number: str
    name: str


@dataclass(frozen=True)
class Phone:
    """One of the operator's own phones that the platform can ring first.

    `id` is the platform's key for it (RingCentral's forwarding-number id) when it has one; a
    phone without an id is rung by its number.
    """

    id: str | None
    number: str | None
    label: str | None = None
    kind: str | None = None
    """"desk", "home", "mobile", "work", "other", "pager", "softphone", or the platform's own word."""


@dataclass(frozen=True)
class CallerId:
    """A number the operator may show to the person called."""

    number: str
    label: str | None = None
    usage: str | None = None
    """"main company number", "direct number", "company number", or None."""


@dataclass(frozen=True)
class DefaultCallerId:
    """What the person called sees when RingDesk names no caller ID: the account's own setting."""

    number: str | None = None
    """The number shown; None when it is hidden or is the number of the phone rung first."""
    hidden: bool = False


@dataclass(frozen=True)
class AccountPhones:
    """What the phone picker lists, as loaded from the platform after sign-in."""

    home_country: str | None
    """The account's ISO country code, the default for numbers typed without one."""
    phones: tuple[Phone, ...]
    caller_ids: tuple[CallerId, ...]
    default_caller_id: DefaultCallerId | None = None
    """None when the platform did not say (RingDesk may lack the permission to read it)."""


# --------------------------------------------------------------------------- people to call


@dataclass(frozen=True)
class PersonNumber:
    number: str
    """E.164 ("+16505550123")."""
    label: str
    """What kind of number, in the operator's words ("Direct", "Mobile")."""


@dataclass(frozen=True)
class Person:
    """Someone RingDesk can call by name: from the company directory or the operator's contacts."""

    id: str
    name: str
    extension: str = ""
    numbers: tuple[PersonNumber, ...] = ()
    details: tuple[str, ...] = ()
    """What else names them: department, job title, site."""
    group: bool = False
    """A call queue, shared line or room rather than a person."""


# --------------------------------------------------------------------------- a call in progress


class LegStatus(enum.Enum):
    """Where one leg of a call (or the call as a whole) stands."""

    PENDING = "pending"
    """Not answered yet: about to ring or ringing (or nothing said yet)."""
    ANSWERED = "answered"
    FINISHED = "finished"
    FAILED = "failed"


class Failure(enum.Enum):
    """Why a leg failed, in the platform-neutral words the call state machine has sentences for.

    Each platform maps its own failure words onto these; a word that fits none of them is
    UNRECOGNISED (never dropped), so that a failure the platform adds still ends the call visibly.
    """

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    """It rang and nobody answered."""
    DECLINED = "declined"
    """Someone declined the call; also how a platform may report a cancel while ringing."""
    INTERNATIONAL_DISABLED = "international_disabled"
    """The number needs international calling, which is off for the operator."""
    BLOCKED = "blocked"
    """The account blocks calls to this number."""
    NETWORK_ERROR = "network_error"
    """The phone network (a carrier) reported an error."""
    NOT_ENOUGH_FUNDS = "not_enough_funds"
    UNREACHABLE = "unreachable"
    """The phone could not be reached at all (switched off, no signal, no route)."""
    LOST = "lost"
    """The platform lost track of the call."""
    UNCLEAR = "unclear"
    """The platform could not tell what happened."""
    SERVICE_ERROR = "service_error"
    """The platform reported an error of its own."""
    SERVICE_FAILED = "service_failed"
    """Part of the platform failed while connecting (a component, not the network)."""
    NOT_SUPPORTED = "not_supported"
    """The platform cannot ring this phone, or call this number, this way."""
    NO_SUCH_NUMBER = "no_such_number"
    UNSPECIFIED = "unspecified"
    """The platform said the call failed without saying why."""
    UNRECOGNISED = "unrecognised"
    """A word the platform added that RingDesk does not know yet; `Leg.word` holds it."""


@dataclass(frozen=True)
class Leg:
    """One leg's status, with the platform's own word for it (kept for the history and error codes).

    `failure` says why a FAILED leg failed; a FAILED leg without one counts as UNSPECIFIED, and
    a leg that has not failed has none.
    """

    status: LegStatus = LegStatus.PENDING
    failure: Failure | None = None
    word: str = ""


@dataclass(frozen=True)
class CallProgress:
    """A placed call as the platform reports it at one moment.

    `caller` is the operator's phone (rung first), `callee` the destination, `call` the whole call.
    """

    call_id: str
    call: Leg = Leg()
    caller: Leg = Leg()
    callee: Leg = Leg()
    connected_for: float | None = None
    """Seconds the call was connected, when the platform says so: its record of a finished call
    does (`CallingPlatform.final_record`), live progress does not."""

    @property
    def words(self) -> tuple[str, str, str]:
        """(call, caller, callee) as the platform spelled them."""
        return (self.call.word, self.caller.word, self.callee.word)


@dataclass(frozen=True)
class CallHandle:
    """What a platform may need to find a placed call again (to hang it up)."""

    call_id: str
    destination: str
    """E.164."""
    from_number: str
    """The operator's phone, as dialled."""
    placed_at: float
    """Wall-clock time the call was placed."""


# --------------------------------------------------------------------------- budgets and errors


class Action(enum.Enum):
    """The kinds of request whose rate the platform limits separately."""

    PLACE = "place"
    """Placing (and cancelling) a call."""
    STATUS = "status"
    """Asking how a call stands."""
    SIGN_IN = "sign_in"
    """Token requests: sign-in, renewal, sign-out."""


@dataclass(frozen=True)
class Budget:
    """How often an action may be done, as far as RingDesk knows now."""

    limit: int | None
    """Requests allowed per `window` (None: not known)."""
    window: float
    next_send_in: float
    """Seconds until the next request may be sent (0.0: now)."""
    name: str | None = None
    """The platform's own name for this budget (RingCentral's rate group: "Heavy"), for logs and errors."""


class CallFeedListener(Protocol):
    """What a `CallFeed` tells about one followed call, on the event loop."""

    def progress(self, progress: CallProgress) -> None:
        """The call changed (its events are applied in the platform's order, each once)."""
        ...

    def live_changed(self, live: bool) -> None:
        """Events started or stopped flowing (the feed's connection came up or went down)."""
        ...

    def missed_events(self) -> None:
        """Events may have been lost while the feed was down: ask how the call stands, once."""
        ...


class CallFeed(Protocol):
    """Progress of placed calls, pushed by the platform the moment it changes.

    A call is matched to the platform's events by what `CallHandle` says (numbers and time), so
    events that arrive before `place_call` has even answered are kept and delivered once the call
    is followed. `live` is False while the feed is not connected; its calls must then be polled.
    """

    @property
    def live(self) -> bool: ...

    def follow(self, call: CallHandle, listener: CallFeedListener) -> Callable[[], None]:
        """Deliver `call`'s progress to `listener` once its events are found; returns the function
        that stops following it."""
        ...

    def matched(self, call_id: str) -> bool:
        """Whether the call's events have been found (until then, only polling knows it)."""
        ...

    def start(self) -> None:
        """Connect (in the background) once signed in; it keeps reconnecting until `aclose`."""
        ...

    async def aclose(self) -> None:
        """Disconnect (at sign-out); `start` may connect again later."""
        ...


class CallingPlatform(Protocol):
    """Everything the core needs of a platform to place and follow calls.

    Errors are `ringdesk.errors` types (`NotFound` once a call is gone, `RateLimited`,
    `NetworkError`, `InvalidRequest`...) and the two below (`CallAlreadyConnected`,
    `CallNotFound`); no platform-specific exception crosses the seam.
    """

    @property
    def kind(self) -> PlatformKind: ...

    @property
    def hang_up_permission(self) -> str | None:
        """The sign-in permission hanging up needs (None: no special one)."""
        ...

    async def identity(self) -> Identity: ...

    async def account_phones(self) -> AccountPhones: ...

    async def company_directory(self) -> list[Person]:
        """Everyone in the operator's company RingDesk can call: people, queues, shared lines."""
        ...

    async def place_call(
        self, from_: Phone | str, to: str, *, caller_id: str | None, play_prompt: bool
    ) -> CallProgress:
        """Place a call from the operator's phone to `to` (E.164). Never retried: it may ring."""
        ...

    async def call_progress(self, call_id: str) -> CallProgress:
        """How the call stands now; `NotFound` once the platform no longer knows it (it ended)."""
        ...

    async def final_record(self, call: CallHandle) -> CallProgress | None:
        """The platform's record of a call it no longer reports: how it ended, or None when it cannot tell.

        A call's status stops being available some time after it ends, and a status request can
        fail on its own; neither says how the call went. This is the platform's own account
        (RingCentral: the call log), asked before RingDesk concludes anything about such a call.
        A call that connected carries `connected_for`.
        """
        ...

    async def cancel_call(self, call_id: str) -> None:
        """Stop a call that has not connected: `CallAlreadyConnected` once it has (hang it up instead),
        `NotFound` when it is already gone."""
        ...

    async def hang_up(self, call: CallHandle) -> None:
        """End a connected call: `NotFound` when it has already ended, `CallNotFound` when the
        platform cannot tell which of its calls this is (the operator must hang up on the phone)."""
        ...

    def budget(self, action: Action) -> Budget: ...

    @property
    def call_feed(self) -> CallFeed | None:
        """The platform's push of call progress, or None when it has none (polling only)."""
        ...

    def place_failure(self, error: RingDeskError) -> tuple[str, str | None] | None:
        """The sentence and error code for a call this platform refused to place, when it knows one."""
        ...

    def error_sentence(self, error_code: str) -> str | None:
        """The sentence for one of the platform's error codes (as the call history stores them)."""
        ...

    async def aclose(self) -> None: ...


class CallAlreadyConnected(RingDeskError):
    """A cancel came too late: the call connected in the meantime."""

    default_user_message = "The call connected before it could be cancelled; hang it up instead."


class CallNotFound(RingDeskError):
    default_user_message = (
        "RingDesk could not find this call on the phone service to hang it up; hang up on your phone."
    )


# --------------------------------------------------------------------------- signing in


@runtime_checkable
class AuthHook(Protocol):
    """How a platform's client gets a bearer token, without knowing where tokens come from.

    The sign-in session (single-flight refresh, refresh ahead of expiry, keyring) is the hook;
    the client only asks for a token before each authenticated request and reports a 401 once.
    Keeping refresh out of the client is deliberate: refresh tokens rotate, so exactly one place
    may refresh, and a reflex refresh on every 401 from several requests at once is the race
    that signs people out.
    """

    async def access_token(self) -> str:
        """A token to send now. Raise `AuthenticationError` when signed out."""
        ...

    async def token_rejected(self, rejected: str) -> str | None:
        """The server answered 401 to `rejected`. Return a token to retry with once, or None.

        Called at most once per request. When several requests fail with the same token, the
        implementation should refresh once and hand every caller the same new token. None means
        signed out (the 401 stands); a renewal that is failing raises its own `RingDeskError`
        (network or server trouble), which the request raises instead of the 401.
        """
        ...


class OAuthPlatform(Protocol):
    """What `ringdesk.auth.Session` needs of a platform that signs in with OAuth 2.0.

    The session sets `auth` to itself so that every request carries its access token.
    """

    auth: AuthHook | None

    def authorize_url(
        self, redirect_uri: str, state: str, code_challenge: str, **extra: str | None
    ) -> str: ...

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...

    async def refresh_tokens(self, refresh_token: str) -> TokenSet: ...

    async def login_jwt(self, assertion: str) -> TokenSet: ...

    async def login_password(self, username: str, extension: str | None, password: str) -> TokenSet: ...

    async def revoke(self, token: str) -> None: ...

    async def identity(self) -> Identity: ...

    def budget(self, action: Action) -> Budget: ...


class Platform(CallingPlatform, OAuthPlatform, Protocol):
    """A platform RingDesk signs in to with OAuth 2.0 and places calls through."""
