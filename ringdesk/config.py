"""One typed settings model: defaults, validation with plain sentences, a JSON file, env overrides.

    result = load_settings()                      # never raises; result.problems are sentences for the UI
    settings = result.settings                    # effective: file + environment overrides
    changed = replace(settings, connection=replace(settings.connection, client_id="abc"))
    problems = validate_connection(changed.connection)
    if not problems:
        save_settings(result.without_overrides(changed))   # env overrides never end up in the file

Secrets are never here: the model has no field for tokens, a JWT, a password or a client secret;
those live only in the keyring (`ringdesk.auth.token_store`). `use_client_secret` only says that one
is expected there.

The file carries `schema_version`. Sections and keys this version does not know (written by a newer
RingDesk) are kept and written back, so going back and forth between versions loses nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from ringdesk.net import is_loopback
from ringdesk.paths import PRIVATE_FILE_MODE, app_paths, make_private_folder
from ringdesk.platforms.base import PlatformKind

log = logging.getLogger("ringdesk.config")

SCHEMA_VERSION: Final = 1

DEFAULT_REDIRECT_URI: Final = "http://127.0.0.1:53682/oauth/callback"

#: The client id registered in the built-in simulator for demo mode (a public app: no secret).
DEMO_CLIENT_ID: Final = "ringdesk-demo"


class ServerKind(StrEnum):
    RINGCENTRAL = "ringcentral"
    PARTNER = "partner"
    CUSTOM = "custom"
    SIMULATOR = "simulator"


class LoginMethod(StrEnum):
    EMBEDDED = "embedded"
    SYSTEM_BROWSER = "system_browser"
    JWT = "jwt"
    PASSWORD = "password"


#: Fixed addresses of the hosted platforms; "custom" and "simulator" are resolved at run time.
SERVER_URLS: Final[Mapping[ServerKind, str]] = MappingProxyType(
    {
        ServerKind.RINGCENTRAL: "https://platform.ringcentral.com",
        ServerKind.PARTNER: "https://platform.ringcentral.biz",
    }
)

#: What a person sees for each choice (settings dialog, header tooltips).
SERVER_LABELS: Final[Mapping[ServerKind, str]] = MappingProxyType(
    {
        ServerKind.RINGCENTRAL: "RingCentral",
        ServerKind.PARTNER: "RingCentral partner environment",
        ServerKind.CUSTOM: "Custom server",
        ServerKind.SIMULATOR: "Built-in simulator",
    }
)

LOGIN_METHOD_LABELS: Final[Mapping[LoginMethod, str]] = MappingProxyType(
    {
        LoginMethod.EMBEDDED: "Sign-in window (recommended)",
        LoginMethod.SYSTEM_BROWSER: "System web browser",
        LoginMethod.JWT: "JWT credential (unattended)",
        LoginMethod.PASSWORD: "Password (legacy, being retired by the platform)",
    }
)

#: Environment variables that override the file for one run; they are never written back.
ENV_SERVER_URL: Final = "RINGDESK_SERVER_URL"
ENV_CLIENT_ID: Final = "RINGDESK_CLIENT_ID"
ENV_REDIRECT_URI: Final = "RINGDESK_REDIRECT_URI"
ENV_LOGIN_METHOD: Final = "RINGDESK_LOGIN_METHOD"
ENV_OVERRIDES: Final = (ENV_SERVER_URL, ENV_CLIENT_ID, ENV_REDIRECT_URI, ENV_LOGIN_METHOD)


@dataclass(frozen=True)
class ConnectionSettings:
    """Which calling platform, where, and how RingDesk signs in. No secrets: see the module docstring.

    The fields after `platform` are RingCentral's (OAuth 2.0: a server, an app's client id, a
    redirect and a login method); another platform adds the fields it needs.
    """

    platform: PlatformKind = PlatformKind.RINGCENTRAL
    server: ServerKind = ServerKind.RINGCENTRAL
    #: Used only when `server` is CUSTOM.
    custom_server_url: str = ""
    client_id: str = ""
    redirect_uri: str = DEFAULT_REDIRECT_URI
    login_method: LoginMethod = LoginMethod.EMBEDDED
    #: A confidential app: its secret is expected in the keyring ("client_secret").
    use_client_secret: bool = False
    #: Advanced: the platform is retiring the password grant, so it must be switched on on purpose.
    allow_password_grant: bool = False

    def server_url(self, simulator_url: str | None = None) -> str | None:
        """The platform's base URL, without a trailing slash.

        For SIMULATOR the running simulator's address must be passed in; None when it is not known
        (or when a custom address is empty).
        """
        if self.server is ServerKind.SIMULATOR:
            return simulator_url.rstrip("/") if simulator_url else None
        if self.server is ServerKind.CUSTOM:
            return self.custom_server_url.strip().rstrip("/") or None
        return SERVER_URLS[self.server]


@dataclass(frozen=True)
class ConnectionInfo:
    """Plain facts about where the app signs in, shown in the status area. No secrets."""

    server_label: str = ""
    server_url: str = ""
    login_method_label: str = ""
    secret_storage: str | None = None
    """Where secrets are kept ("GNOME Keyring", "Secret Service"); None when memory only."""


@dataclass(frozen=True)
class GeneralSettings:
    #: The start-up question ("Sign in now?"); off means "start signed out and stay quiet".
    ask_to_sign_in_at_start: bool = True
    #: Closing the window keeps RingDesk in the tray (only where the desktop has a tray).
    close_to_tray: bool = True
    #: Start with the window hidden in the tray (only where the desktop has a tray).
    start_minimized: bool = False
    #: Desktop notifications when a call connects, fails (with the reason) and ends (with its length).
    notify_connected: bool = True
    notify_failed: bool = True
    notify_ended: bool = True
    #: A phone link (or `ringdesk dial`) calls at once, after a short countdown the person can
    #: cancel; off: the number is filled in and the window comes forward with Call ready.
    call_links_at_once: bool = False


@dataclass(frozen=True)
class DialerSettings:
    """The phone picker's choices: which phone rings first, caller ID, press 1, default country."""

    #: The platform's id of the phone (`Phone.id`; RingCentral's forwarding-number id): the platform
    #: rings by it rather than by the number when there is one. The name is kept for settings files
    #: written before other platforms existed.
    forwarding_number_id: str | None = None
    #: The phone RingDesk rings first, in E.164 ("Another number..." or a record without id).
    phone_number: str | None = None
    #: The phone's label as the picker showed it ("Mobile"), for the dialer's summary line.
    phone_label: str = ""
    #: The number shown to the person called; None means the account's default.
    caller_id: str | None = None
    play_prompt: bool = False
    #: ISO 3166 code for numbers typed without a country code; None: the extension's home country.
    default_country: str | None = None

    @property
    def chosen(self) -> bool:
        return bool(self.forwarding_number_id or self.phone_number)


@dataclass(frozen=True)
class Settings:
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    general: GeneralSettings = field(default_factory=GeneralSettings)
    dialer: DialerSettings = field(default_factory=DialerSettings)
    schema_version: int = SCHEMA_VERSION
    #: Keys of the file this version does not understand, kept verbatim and written back.
    preserved: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )


@dataclass(frozen=True)
class LoadResult:
    #: The effective settings: the file's values with environment overrides on top.
    settings: Settings
    #: Sentences for the person ("Your settings file could not be read; ..."). Empty when all was well.
    problems: list[str] = field(default_factory=list)
    #: Names of the environment variables that changed `settings` (never saved).
    overrides: tuple[str, ...] = ()
    #: The settings as the file holds them, before environment overrides.
    stored: Settings | None = None
    #: Where a damaged file was copied before defaults were used, if that happened.
    broken_copy: Path | None = None

    def without_overrides(self, edited: Settings) -> Settings:
        """`edited` with every field an environment variable forced put back to its stored value.

        The settings dialog edits the effective settings; saving them as they are would turn a
        one-run override into a permanent setting.
        """
        if not self.overrides or self.stored is None:
            return edited
        base = self.stored.connection
        changes: dict[str, Any] = {}
        if ENV_SERVER_URL in self.overrides and edited.connection.server == self.settings.connection.server:
            changes["server"] = base.server
            changes["custom_server_url"] = base.custom_server_url
        for env, name in ((ENV_CLIENT_ID, "client_id"), (ENV_REDIRECT_URI, "redirect_uri")):
            if env in self.overrides and getattr(edited.connection, name) == getattr(
                self.settings.connection, name
            ):
                changes[name] = getattr(base, name)
        if ENV_LOGIN_METHOD in self.overrides and (
            edited.connection.login_method == self.settings.connection.login_method
        ):
            changes["login_method"] = base.login_method
        return replace(edited, connection=replace(edited.connection, **changes))


# --- validation -----------------------------------------------------------------------------------------


def validate_connection(connection: ConnectionSettings) -> list[str]:
    """Every problem with `connection`, each as one sentence a person can act on; empty when usable."""
    problems: list[str] = []
    if connection.server is ServerKind.CUSTOM:
        problems.extend(validate_server_url(connection.custom_server_url))
    if not connection.client_id.strip():
        problems.append(
            "The client ID must not be empty; copy it from your app's page in the developer console."
        )
    elif any(ch.isspace() for ch in connection.client_id.strip()):
        problems.append("The client ID must not contain spaces.")
    if connection.login_method in (LoginMethod.EMBEDDED, LoginMethod.SYSTEM_BROWSER):
        problems.extend(validate_redirect_uri(connection.redirect_uri, connection.login_method))
    if connection.login_method is LoginMethod.PASSWORD and not connection.allow_password_grant:
        problems.append(
            'Password sign-in is switched off; turn on "Allow password sign-in" under Advanced '
            "to use it (the platform is retiring it)."
        )
    return problems


def validate_server_url(url: str) -> list[str]:
    url = url.strip()
    if not url:
        return ["Enter the server address, for example https://platform.example.com."]
    parts = urlsplit(url)
    if parts.scheme == "https":
        pass
    elif parts.scheme == "http":
        if not is_loopback(parts.hostname):
            return ["The server address must start with https:// (or http:// for 127.0.0.1)."]
    else:
        return ["The server address must start with https:// (or http:// for 127.0.0.1)."]
    if not parts.hostname:
        return ["The server address needs a host name after https://."]
    if parts.query or parts.fragment:
        return ["The server address must not contain ? or #; enter only the scheme, host and port."]
    try:
        _ = parts.port
    except ValueError:
        return ["The server address has a port that is not a number between 0 and 65535."]
    return []


def validate_redirect_uri(uri: str, login_method: LoginMethod = LoginMethod.EMBEDDED) -> list[str]:
    uri = uri.strip()
    if not uri:
        return ["Enter the redirect URI registered for your app, for example " + DEFAULT_REDIRECT_URI + "."]
    parts = urlsplit(uri)
    if not parts.scheme:
        return [
            "The redirect URI must be an http(s) address with a host, or use an app scheme "
            "such as com.example.app:/callback."
        ]
    if parts.fragment:
        return ["The redirect URI must not contain a # part."]
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            return [
                "The redirect URI must be an http(s) address with a host, for example "
                + DEFAULT_REDIRECT_URI
                + "."
            ]
        try:
            port = parts.port
        except ValueError:
            return ["The redirect URI has a port that is not a number between 0 and 65535."]
        if login_method is LoginMethod.SYSTEM_BROWSER and (
            parts.scheme != "http" or not is_loopback(parts.hostname) or not port
        ):
            # RFC 8252: the system browser hands the code to a listener on this machine.
            return [
                "Signing in through the system browser needs a redirect URI on this machine with a "
                "port, for example " + DEFAULT_REDIRECT_URI + "."
            ]
        return []
    if login_method is LoginMethod.SYSTEM_BROWSER:
        return [
            "Signing in through the system browser needs a redirect URI on this machine with a "
            "port, for example " + DEFAULT_REDIRECT_URI + "."
        ]
    # A private-use scheme (RFC 8252 section 7.1); the embedded window intercepts it before loading.
    return []


# --- file -----------------------------------------------------------------------------------------------


def default_settings_path() -> Path:
    return app_paths().settings_file


def load_settings(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> LoadResult:
    """Read the settings file, never raising and never losing what was in it.

    A missing file gives defaults silently. A file that cannot be read or parsed, or that holds
    values this version cannot use, is copied to `settings.json.broken-<timestamp>` first, and the
    result carries a sentence saying so; the damaged values are replaced by defaults.
    `environ` (default: the process environment) supplies the `RINGDESK_*` overrides.
    """
    path = default_settings_path() if path is None else path
    env = os.environ if environ is None else environ
    problems: list[str] = []
    broken_copy: Path | None = None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        stored = Settings()
    except (OSError, UnicodeDecodeError) as exc:
        broken_copy = _keep_broken_copy(path)
        problems.append(_damaged_sentence(path, broken_copy, f"it could not be read ({_reason(exc)})"))
        stored = Settings()
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            data = None
            reason = f"it is not valid JSON ({exc})"
        else:
            reason = "it does not hold a JSON object"
        if not isinstance(data, dict):
            broken_copy = _keep_broken_copy(path)
            problems.append(_damaged_sentence(path, broken_copy, reason))
            stored = Settings()
        else:
            stored, field_problems = settings_from_dict(data)
            if field_problems:
                broken_copy = _keep_broken_copy(path)
                where = f" (the original is kept as {broken_copy.name})" if broken_copy else ""
                problems.extend(field_problems)
                problems.append(f"RingDesk used the default for each of these{where}.")
    unwritable = _unwritable_reason(path.parent)
    if unwritable is not None:
        problems.append(
            f"RingDesk cannot save settings in {path.parent} ({unwritable}); "
            "changes you make last until RingDesk closes."
        )
    effective, overrides, override_problems = apply_env_overrides(stored, env)
    problems.extend(override_problems)
    for problem in problems:
        log.warning("settings: %s", problem)
    return LoadResult(effective, problems, overrides, stored, broken_copy)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a crash or a full disk leaves either the old file or the new one, never half.

    Raises OSError when the folder cannot be written; the caller says so to the person.
    """
    path = default_settings_path() if path is None else path
    make_private_folder(path.parent)
    text = json.dumps(settings_to_dict(settings), indent=2, sort_keys=False) + "\n"
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            # Settings reveal which server and app a person uses; nobody else needs to read them.
            os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = dict(settings.preserved)
    for section_name in _SECTION_TYPES:
        section = getattr(settings, section_name)
        known = {f.name: _plain(getattr(section, f.name)) for f in dataclasses.fields(section)}
        extra = data.get(section_name)
        data[section_name] = {**(extra if isinstance(extra, dict) else {}), **known}
    data.pop("schema_version", None)
    # A file from a newer version keeps its number: its unknown keys are still there, unchanged.
    return {"schema_version": max(settings.schema_version, SCHEMA_VERSION), **data}


def settings_from_dict(data: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Build settings from parsed JSON: each unusable value becomes its default with a sentence."""
    problems: list[str] = []
    preserved: dict[str, Any] = {}
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"The settings file has an unknown schema version {version!r}.")
        version = SCHEMA_VERSION
    elif version > SCHEMA_VERSION:
        # Written by a newer RingDesk: read what we know, keep the rest for when it comes back.
        log.info("settings were written by a newer version (schema %d); unknown keys are kept", version)
    sections: dict[str, Any] = {}
    for key, value in data.items():
        if key == "schema_version":
            continue
        if key in _SECTION_TYPES:
            if isinstance(value, dict):
                sections[key] = value
                unknown = {k: v for k, v in value.items() if k not in _field_names(key)}
                if unknown:
                    preserved[key] = unknown
            else:
                problems.append(f'The settings section "{key}" is not a group of values.')
        else:
            preserved[key] = value
    connection = _build_section(ConnectionSettings, sections.get("connection", {}), "connection", problems)
    general = _build_section(GeneralSettings, sections.get("general", {}), "general", problems)
    dialer = _build_section(DialerSettings, sections.get("dialer", {}), "dialer", problems)
    settings = Settings(
        connection, general, dialer, max(version, SCHEMA_VERSION), MappingProxyType(preserved)
    )
    return settings, problems


def apply_env_overrides(
    settings: Settings, environ: Mapping[str, str]
) -> tuple[Settings, tuple[str, ...], list[str]]:
    """`settings` with the `RINGDESK_*` overrides applied; also the variables used and any problems."""
    changes: dict[str, Any] = {}
    used: list[str] = []
    problems: list[str] = []
    server_url = environ.get(ENV_SERVER_URL, "").strip()
    if server_url:
        used.append(ENV_SERVER_URL)
        known = {url: kind for kind, url in SERVER_URLS.items()}
        kind = known.get(server_url.rstrip("/"))
        if kind is not None:
            changes["server"] = kind
        else:
            changes["server"] = ServerKind.CUSTOM
            changes["custom_server_url"] = server_url
    for env, name in ((ENV_CLIENT_ID, "client_id"), (ENV_REDIRECT_URI, "redirect_uri")):
        value = environ.get(env, "").strip()
        if value:
            used.append(env)
            changes[name] = value
    method = environ.get(ENV_LOGIN_METHOD, "").strip()
    if method:
        try:
            changes["login_method"] = LoginMethod(method)
            used.append(ENV_LOGIN_METHOD)
        except ValueError:
            problems.append(
                f"{ENV_LOGIN_METHOD} is {method!r}, which is not a login method; use one of "
                + ", ".join(m.value for m in LoginMethod)
                + "."
            )
    if not changes:
        return settings, tuple(used), problems
    return replace(settings, connection=replace(settings.connection, **changes)), tuple(used), problems


# --- helpers --------------------------------------------------------------------------------------------

_SECTION_TYPES: Final[Mapping[str, type[Any]]] = MappingProxyType(
    {"connection": ConnectionSettings, "general": GeneralSettings, "dialer": DialerSettings}
)

_FIELD_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "platform": "phone system",
        "server": "server",
        "custom_server_url": "custom server address",
        "client_id": "client ID",
        "redirect_uri": "redirect URI",
        "login_method": "login method",
        "use_client_secret": '"use a client secret" switch',
        "allow_password_grant": '"allow password sign-in" switch',
        "ask_to_sign_in_at_start": '"ask to sign in at start" switch',
        "close_to_tray": '"close to the tray" switch',
        "start_minimized": '"start minimized" switch',
        "notify_connected": '"notify when a call connects" switch',
        "notify_failed": '"notify when a call fails" switch',
        "notify_ended": '"notify when a call ends" switch',
        "forwarding_number_id": "phone to ring first",
        "phone_number": "number to ring first",
        "phone_label": "label of the phone to ring first",
        "caller_id": "caller ID",
        "play_prompt": '"press 1 to connect" switch',
        "default_country": "default country",
    }
)


def _field_names(section: str) -> set[str]:
    return {f.name for f in dataclasses.fields(_SECTION_TYPES[section])}


def _build_section(cls: type[Any], values: Mapping[str, Any], section: str, problems: list[str]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        raw = values[f.name]
        default = getattr(cls(), f.name)
        label = _FIELD_LABELS.get(f.name, f.name)
        if isinstance(default, StrEnum):
            enum_type = type(default)
            try:
                kwargs[f.name] = enum_type(raw)
            except ValueError:
                allowed = ", ".join(m.value for m in enum_type)
                problems.append(f"The {label} {raw!r} in the settings file is not one of: {allowed}.")
        elif isinstance(default, bool):
            if isinstance(raw, bool):
                kwargs[f.name] = raw
            else:
                problems.append(f"The {label} in the settings file must be true or false, not {raw!r}.")
        elif isinstance(default, str):
            if isinstance(raw, str):
                kwargs[f.name] = raw
            else:
                problems.append(f"The {label} in the settings file must be text, not {raw!r}.")
        elif default is None:  # optional text: null means "not chosen"
            if raw is None or isinstance(raw, str):
                kwargs[f.name] = raw or None
            else:
                problems.append(f"The {label} in the settings file must be text or null, not {raw!r}.")
        else:  # pragma: no cover - every field is one of the kinds above
            kwargs[f.name] = raw
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def _keep_broken_copy(path: Path) -> Path | None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
    try:
        # A copy, not a move: if even that fails, the original is still where the person left it.
        content = path.read_bytes()
        # Created 0600 from the start: a damaged file still says which server and app a person uses.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        log.warning("could not keep a copy of the damaged settings file: %s", exc)
        return None
    return target


def _unwritable_reason(folder: Path) -> str | None:
    """Why no settings file can be written in `folder` (made if missing), or None when one can.

    Asked at load so the window says at once that changes will not be kept, rather than at the
    first save.
    """
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if os.access(existing, os.W_OK | os.X_OK):
        return None
    with contextlib.suppress(OSError):
        if os.statvfs(existing).f_flag & os.ST_RDONLY:
            return "read-only file system"
    return "permission denied"


def _damaged_sentence(path: Path, copy: Path | None, reason: str) -> str:
    kept = f" It was kept as {copy.name}." if copy else f" It was left as it is at {path}."
    return (
        f"Your settings file could not be used because {reason}; "
        f"RingDesk started with default settings.{kept}"
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
