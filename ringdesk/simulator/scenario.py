"""Scenarios: the account, apps, timings and behaviour the simulator plays.

A scenario is plain typed data. `Scenario()` (or `Scenario.default()`) is the built-in demo account; a JSON or
TOML file only needs the parts it changes, because every field has the demo value as its default. Keys in
files use the same snake_case names as the dataclass fields.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Account",
    "CallOutcome",
    "ClientApp",
    "Country",
    "Device",
    "ForwardingNumber",
    "Lifetimes",
    "PhoneNumber",
    "RateLimits",
    "Scenario",
    "ScenarioError",
    "Timings",
    "User",
    "load_scenario",
    "make_jwt_credential",
]

Leg = Literal["caller", "callee"]

#: RingOut leg statuses the simulator knows how to fail a call with; any other string is allowed too, so that
#: clients can be tested against a value the platform may add later (e.g. "SomeNewStatus").
KNOWN_FAILURES = (
    "Busy",
    "NoAnswer",
    "Rejected",
    "InternationalDisabled",
    "DestinationBlocked",
    "GenericError",
)


class ScenarioError(ValueError):
    """A scenario file or value is not usable; the message names the file and the offending field."""


@dataclass
class Country:
    id: str = "1"
    iso_code: str = "US"
    calling_code: str = "1"
    name: str = "United States"


@dataclass
class ForwardingNumber:
    """One of the "my phone" choices. `id` and `type` are optional: real records sometimes lack them."""

    phone_number: str
    label: str
    id: str | None = None
    type: str | None = None
    features: list[str] = field(default_factory=lambda: ["CallFlip", "CallForwarding"])
    device_id: str | None = None


@dataclass
class PhoneNumber:
    id: int
    phone_number: str
    usage_type: str = "DirectNumber"
    type: str = "VoiceFax"
    features: list[str] = field(default_factory=lambda: ["CallerId", "SmsSender"])
    label: str | None = None
    primary: bool = False
    payment_type: str = "Local"


@dataclass
class Device:
    id: str
    name: str
    type: str = "HardPhone"
    status: str = "Online"
    serial: str | None = None


@dataclass
class User:
    extension_id: int
    extension_number: str
    first_name: str
    last_name: str
    email: str
    #: The phone number typed on the sign-in page and sent as `username` in the password grant.
    login: str
    password: str
    home_country: Country = field(default_factory=Country)
    #: featureName -> enabled, as `serviceFeatures` reports them (RingOut, CallForwarding, ...).
    service_features: dict[str, bool] = field(default_factory=dict)
    forwarding_numbers: list[ForwardingNumber] = field(default_factory=list)
    phone_numbers: list[PhoneNumber] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    #: The user's JWT credential for the jwt-bearer grant; filled in from `Scenario.jwt_secret` when omitted.
    jwt_credential: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def feature_enabled(self, name: str) -> bool:
        return self.service_features.get(name, False)


@dataclass
class Account:
    id: int = 400131005008
    main_number: str = "+16505550100"
    company: str = "RingDesk Demo Co."
    users: list[User] = field(default_factory=lambda: _demo_users())


@dataclass
class ClientApp:
    """A registered app. `client_secret` None means a public app (client id in the body, no secret)."""

    client_id: str
    name: str
    client_secret: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    #: App permissions (OAuth scopes) as the spec's `x-app-permission` names them.
    permissions: list[str] = field(
        default_factory=lambda: [
            "ReadAccounts",
            "RingOut",
            "ReadPresence",
            "ReadCallLog",
            "CallControl",
            "WebSocket",
        ]
    )
    grant_types: list[str] = field(
        default_factory=lambda: [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "password",
        ]
    )

    @property
    def is_public(self) -> bool:
        return self.client_secret is None


@dataclass
class Timings:
    """RingOut pacing, in seconds (floats; tests use tenths or hundredths)."""

    caller_ring: float = 3.0
    callee_ring: float = 4.0
    talk: float = 30.0
    #: The RingOut resource (and its telephony session) 404s this long after the call ends.
    gone_after: float = 15.0
    #: With `playPrompt`, the simulated operator presses 1 this long after answering; None waits for the
    #: control API.
    auto_press_after: float | None = 1.5
    #: With `playPrompt`, the operator's leg is dropped if nobody presses 1 within this time.
    prompt_timeout: float = 30.0

    @classmethod
    def fast(cls) -> Timings:
        """Tenths of a second per phase, for tests: a whole call takes well under a second."""
        return cls(
            caller_ring=0.1,
            callee_ring=0.1,
            talk=0.3,
            gone_after=0.3,
            auto_press_after=0.1,
            prompt_timeout=5.0,
        )


@dataclass
class Lifetimes:
    """Token and code lifetimes in seconds (floats allowed, so expiry can be tested quickly)."""

    access_token: float = 3600.0
    refresh_token: float = 604800.0
    auth_code: float = 60.0
    #: After a refresh, the refresh token it used still works while the new access token has not
    #: been used, for up to this long (the platform's grace period for a lost answer)...
    refresh_grace_unused: float = 3600.0
    #: ...and for this long after the new access token's first use. Within the grace, refreshing
    #: again answers with the same new tokens.
    refresh_grace_after_use: float = 10.0


@dataclass
class RateLimits:
    limits: dict[str, int] = field(
        default_factory=lambda: {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
    )
    window: float = 60.0
    penalty: float = 60.0
    enabled: bool = True


@dataclass
class CallOutcome:
    """How a RingOut fails: `status` appears on `leg`; `call_status` is the overall `callStatus`."""

    leg: Leg
    status: str
    call_status: str = "CannotReach"


@dataclass
class Scenario:
    account: Account = field(default_factory=Account)
    clients: list[ClientApp] = field(default_factory=lambda: _demo_clients())
    timings: Timings = field(default_factory=Timings)
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    #: Active sessions one user may have in one app; a sign-in beyond it ends the oldest.
    sessions_per_app_and_user: int = 5
    #: Demo mode shows the demo credentials on the sign-in page.
    demo_mode: bool = True
    password_grant_enabled: bool = True
    #: Signs the JWT credentials the scenario generates (HS256).
    jwt_secret: str = "ringdesk-simulator-jwt-secret"
    #: Destination number (E.164) -> outcome, for calls not given an outcome through the control API.
    outcomes: dict[str, CallOutcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for user in self.account.users:
            if user.jwt_credential is None:
                user.jwt_credential = make_jwt_credential(self.jwt_secret, self.account.id, user.extension_id)

    @classmethod
    def default(cls) -> Scenario:
        """The built-in demo account: two users, a public and a confidential app."""
        return cls()

    def client(self, client_id: str) -> ClientApp | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def user(self, extension_id: int) -> User | None:
        return next((u for u in self.account.users if u.extension_id == extension_id), None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def make_jwt_credential(secret: str, account_id: int, extension_id: int, issued_at: int = 1767225600) -> str:
    """A JWT credential shaped like the platform's: base64url header.payload.signature, HS256 over `secret`.

    `issued_at` is fixed by default so that the demo credential stays the same from run to run.
    """
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "aud": "https://platform.ringcentral.com/restapi/oauth/token",
        "sub": str(extension_id),
        "account": str(account_id),
        "iss": "ringdesk-simulator",
        "iat": issued_at,
        "jti": hashlib.sha256(f"{account_id}:{extension_id}:{issued_at}".encode()).hexdigest()[:22],
    }
    signing_input = f"{_b64url(json.dumps(header, separators=(',', ':')).encode())}." + _b64url(
        json.dumps(payload, separators=(",", ":")).encode()
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a `.json` or `.toml` file; raise `ScenarioError` naming the file and field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror or exc})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(raw.decode("utf-8"))
        elif suffix == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            raise ScenarioError(f"{path}: a scenario file must end in .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from exc
    return scenario_from_dict(data, source=str(path))


def scenario_from_dict(data: Any, source: str = "scenario") -> Scenario:
    """Build a Scenario from parsed JSON/TOML data, checking every field's type."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: the top level must be a table/object, not {_kind(data)}")
    try:
        scenario = _build(Scenario, data, "")
    except _FieldError as exc:
        raise ScenarioError(f"{source}: field '{exc.path}': {exc.problem}") from None
    assert isinstance(scenario, Scenario)
    _check_consistency(scenario, source)
    return scenario


# --- internals -----------------------------------------------------------------------------------------


class _FieldError(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path or "(top level)"
        self.problem = problem


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a table/object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def _build(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _build(non_none[0], value, path)
    if origin is Literal:
        if value not in args:
            raise _FieldError(path, f"must be one of {', '.join(map(repr, args))}, not {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _FieldError(path, f"must be a list, not {_kind(value)}")
        return [_build(args[0], item, f"{path}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise _FieldError(path, f"must be a table/object, not {_kind(value)}")
        return {str(k): _build(args[1], v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise _FieldError(path, f"must be a table/object, not {_kind(value)}")
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
        for key in value:
            if key not in fields:
                known = ", ".join(sorted(fields))
                raise _FieldError(f"{path}.{key}" if path else str(key), f"unknown field (known: {known})")
        kwargs: dict[str, Any] = {}
        for name, f in fields.items():
            sub = f"{path}.{name}" if path else name
            if name in value:
                kwargs[name] = _build(hints[name], value[name], sub)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _FieldError(sub, "is required")
        return tp(**kwargs)
    if tp is bool:
        if not isinstance(value, bool):
            raise _FieldError(path, f"must be true or false, not {_kind(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _FieldError(path, f"must be an integer, not {_kind(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _FieldError(path, f"must be a number, not {_kind(value)}")
        if value < 0:
            raise _FieldError(path, f"must not be negative ({value})")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _FieldError(path, f"must be a string, not {_kind(value)}")
        return value
    raise _FieldError(path, f"unsupported type {tp!r}")  # pragma: no cover - a programming error


def _check_consistency(scenario: Scenario, source: str) -> None:
    if not scenario.account.users:
        raise ScenarioError(f"{source}: field 'account.users': at least one user is required")
    seen: set[int] = set()
    for i, user in enumerate(scenario.account.users):
        if user.extension_id in seen:
            raise ScenarioError(
                f"{source}: field 'account.users[{i}].extension_id': {user.extension_id} is used twice"
            )
        seen.add(user.extension_id)
    for i, client in enumerate(scenario.clients):
        for j, uri in enumerate(client.redirect_uris):
            if "://" not in uri:
                raise ScenarioError(
                    f"{source}: field 'clients[{i}].redirect_uris[{j}]': {uri!r} is not an absolute URI"
                )
    for group, limit in scenario.rate_limits.limits.items():
        if limit < 1:
            raise ScenarioError(f"{source}: field 'rate_limits.limits.{group}': must be at least 1")


def _demo_users() -> list[User]:
    features = {
        "RingOut": True,
        "CallForwarding": True,
        "Presence": True,
        "TelephonySessions": True,
        "InternationalCalling": False,
        "SMS": True,
        "VoipCalling": True,
        "WebPhone": True,
    }
    return [
        User(
            extension_id=400131005009,
            extension_number="101",
            first_name="Dana",
            last_name="Operator",
            email="dana.operator@example.com",
            login="+16505550100",
            password="RingDesk-Demo-1",
            service_features=dict(features),
            forwarding_numbers=[
                ForwardingNumber(
                    id="733151008",
                    phone_number="+16505550111",
                    label="Desk phone",
                    type="PhoneLine",
                    device_id="802398452016",
                ),
                ForwardingNumber(id="733152008", phone_number="+16505550122", label="Mobile", type="Mobile"),
                ForwardingNumber(id="733153008", phone_number="+16505550133", label="Home", type="Home"),
                # Real accounts return records like these two: no `type`, or no `id` at all.
                ForwardingNumber(id="733154008", phone_number="+16505550144", label="Front desk"),
                ForwardingNumber(
                    phone_number="+16505550155", label="Other phone", type="Other", features=["CallFlip"]
                ),
            ],
            phone_numbers=[
                PhoneNumber(
                    id=1126700008,
                    phone_number="+16505550100",
                    usage_type="MainCompanyNumber",
                    features=["CallerId", "SmsSender"],
                    primary=False,
                ),
                PhoneNumber(
                    id=1126701008,
                    phone_number="+16505550101",
                    usage_type="DirectNumber",
                    features=["CallerId", "SmsSender"],
                    primary=True,
                ),
                PhoneNumber(
                    id=1126702008,
                    phone_number="+16505550109",
                    usage_type="CompanyFaxNumber",
                    type="FaxOnly",
                    features=[],
                ),
                PhoneNumber(
                    id=1126703008,
                    phone_number="+18005550199",
                    usage_type="AdditionalCompanyNumber",
                    payment_type="TollFree",
                    features=["SmsSender"],
                ),
            ],
            devices=[
                Device(id="802398452016", name="Desk phone (Polycom VVX 450)", serial="0004F2A1B2C3"),
                Device(id="802398453016", name="RingCentral App", type="SoftPhone", status="Offline"),
            ],
        ),
        User(
            extension_id=400131006009,
            extension_number="102",
            first_name="Sam",
            last_name="Second",
            email="sam.second@example.com",
            login="+16505550100",
            password="RingDesk-Demo-2",
            service_features={**features, "RingOut": False},
            forwarding_numbers=[
                ForwardingNumber(id="733161008", phone_number="+16505550211", label="Mobile", type="Mobile"),
            ],
            phone_numbers=[
                PhoneNumber(
                    id=1126711008,
                    phone_number="+16505550102",
                    usage_type="DirectNumber",
                    features=["CallerId"],
                    primary=True,
                ),
            ],
            devices=[Device(id="802398462016", name="Desk phone", status="Offline")],
        ),
    ]


def _demo_clients() -> list[ClientApp]:
    loopback_redirects = [
        "http://127.0.0.1:53682/oauth/callback",
        "http://localhost:53682/oauth/callback",
        "ringdesk://oauth/callback",
    ]
    return [
        ClientApp(client_id="ringdesk-demo", name="RingDesk (demo)", redirect_uris=list(loopback_redirects)),
        ClientApp(
            client_id="ringdesk-confidential",
            name="RingDesk (confidential demo)",
            client_secret="ringdesk-confidential-secret",
            redirect_uris=list(loopback_redirects),
        ),
    ]
