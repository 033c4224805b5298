"""One typed settings model: defaults, validation with plain sentences, a JSON file, env overrides.

    result = load_settings()                      # never raises; result.problems are sentences for the UI
    settings = result.settings                    # effective: file + environment overrides
    changed = replace(settings, connection=replace(settings.connection, client_id="abc"))
    problems = validate_connection(changed.connection)
    if not problems:
        to_store, leave_out = result.for_file(changed)   # no env override, lock or untouched preset
        save_settings(to_store, leave_out=leave_out)

Secrets are never here: the model has no field for tokens, a JWT, a password or a client secret;
those live only in the keyring (`ringdesk.auth.token_store`). `use_client_secret` only says that one
is expected there.

The file carries `schema_version`. Sections and keys this version does not know (written by a newer
RingDesk) are kept and written back, so going back and forth between versions loses nothing.

An administrator can preset settings for everyone on the machine, and lock them
(`ringdesk.admin_defaults` says where that file or policy is). Each setting comes from the first
of these that has it, most important first:

1. a lock: the administrator's value (RingDesk's own default when the lock names no value). It
   beats the person's file, because a lock exists so that every desk works the same whatever a
   person once saved; and it beats the `RINGDESK_*` variables too (an ignored one is reported),
   because those are part of a person's own set-up (a shell profile, a launcher), and a lock that
   a person's own set-up could undo would only be another default;
2. a `RINGDESK_*` environment variable, for this run only;
3. the person's file;
4. the administrator's value that is not locked (a preset);
5. RingDesk's own default.

A lock keeps a desk from drifting, it is not a security boundary: a person controls their own
environment (`XDG_CONFIG_DIRS` included) and can run any program. Access is controlled where it
is enforced: by the platform's app registration and the account's permissions.

The person's file never receives what the administrator decides: saving puts a locked setting
back to what the person's file held (so unlocking it later restores their own value), and leaves a
preset the person did not change out of the file (so a new preset reaches them). What the file
holds stays the person's own, exactly as for the environment variables.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from ringdesk.admin_defaults import RawAdminDefaults, read_admin_defaults
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

#: What a person reads next to a setting their administrator locked.
LOCKED_NOTE: Final = "Set by your administrator."


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


#: The settings an administrator may preset and lock, as "section.field". The phone to ring first,
#: its label and the caller ID are each person's own numbers, so they cannot be preset.
ADMIN_FIELDS: Final = frozenset(
    {f"connection.{f.name}" for f in dataclasses.fields(ConnectionSettings)}
    | {f"general.{f.name}" for f in dataclasses.fields(GeneralSettings)}
    | {"dialer.default_country", "dialer.play_prompt"}
)

#: Locked together: the address of a custom server is part of choosing the server.
_LOCKED_TOGETHER: Final = frozenset({"connection.server", "connection.custom_server_url"})


@dataclass(frozen=True)
class AdminDefaults:
    """The administrator's presets and locks, checked (see `admin_defaults_from_dict`)."""

    #: Where they were read ("/etc/xdg/RingDesk/defaults.json"); "" when there were none.
    source: str = ""
    #: "section.field" -> a usable value, each one of `ADMIN_FIELDS`.
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: "section.field" names the person cannot change.
    locked: frozenset[str] = frozenset()

    def presets(self, settings: Settings) -> Settings:
        """`settings` with every value the administrator gave (the layer under the person's file)."""
        return _with_fields(settings, self.values)

    def enforce(self, settings: Settings) -> Settings:
        """`settings` with every locked field at the administrator's value, or at RingDesk's own
        default where the lock names no value."""
        if not self.locked:
            return settings
        builtin = Settings()
        return _with_fields(
            settings, {key: self.values.get(key, _get_field(builtin, key)) for key in self.locked}
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
    #: What the administrator preset and locked (empty when the machine has no such file).
    admin: AdminDefaults = field(default_factory=lambda: AdminDefaults())
    #: The "section.field" names the person's file holds a usable value for.
    file_keys: frozenset[str] = frozenset()

    @property
    def locked(self) -> frozenset[str]:
        """The "section.field" names the administrator locked."""
        return self.admin.locked

    def locked_fields(self, section: str) -> frozenset[str]:
        """The field names of `section` ("connection", "general", "dialer") that are locked."""
        return frozenset(key.partition(".")[2] for key in self.admin.locked if key.startswith(section + "."))

    def enforce_locks(self, settings: Settings) -> Settings:
        """`settings` with every locked field at the administrator's value (what is in use)."""
        return self.admin.enforce(settings)

    def for_file(self, edited: Settings) -> tuple[Settings, frozenset[str]]:
        """What to write for `edited`, and the "section.field" names to leave out of the file.

        Neither an environment override nor a lock ever reaches the file (`without_overrides`),
        and a preset the person did not change stays out of it, so a later preset reaches them.
        """
        to_store = self.without_overrides(edited)
        return to_store, self.left_out(to_store)

    def left_out(self, to_store: Settings) -> frozenset[str]:
        """The fields the administrator decides that the person's file does not hold, and that
        `to_store` leaves as the administrator has them: writing them would freeze today's preset
        (or a locked value) into the person's file."""
        below = self.admin.presets(Settings())
        decided = set(self.admin.values) | self.admin.locked
        return frozenset(
            key for key in decided - self.file_keys if _get_field(to_store, key) == _get_field(below, key)
        )

    def without_overrides(self, edited: Settings) -> Settings:
        """`edited` with every field an environment variable forced, and every locked field, put
        back to its stored value (what the person's file gave, or the preset under it).

        The settings dialog edits the effective settings; saving them as they are would turn a
        one-run override into a permanent setting, and an administrator's lock into the person's
        own choice, which would outlive the lock.
        """
        if self.stored is None:
            return edited
        edited = self._without_env(edited)
        locked = {key: _get_field(self.stored, key) for key in self.admin.locked}
        return _with_fields(edited, locked)

    def _without_env(self, edited: Settings) -> Settings:
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
    `environ` (default: the process environment) supplies the `RINGDESK_*` overrides, and on Linux
    `XDG_CONFIG_DIRS`, where the administrator's defaults are looked for (see the module docstring
    for which wins). Those are the machine's: `RINGDESK_HOME` moves the person's own files only, so
    a separate profile still gets the presets and locks of the machine it runs on. A broken
    administrator file is reported and ignored, and never written to or copied next to.
    """
    path = default_settings_path() if path is None else path
    env = os.environ if environ is None else environ
    problems: list[str] = []
    broken_copy: Path | None = None
    admin, admin_problems = admin_defaults_from_raw(read_admin_defaults(env))
    base = admin.presets(Settings())
    file_keys: frozenset[str] = frozenset()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        stored = base
    except (OSError, UnicodeDecodeError) as exc:
        broken_copy = _keep_broken_copy(path)
        problems.append(_damaged_sentence(path, broken_copy, f"it could not be read ({_reason(exc)})"))
        stored = base
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
            stored = base
        else:
            stored, field_problems, file_keys = _settings_over(base, data)
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
    problems.extend(admin_problems)
    effective, overrides, override_problems = apply_env_overrides(
        admin.enforce(stored), env, locked=admin.locked
    )
    problems.extend(override_problems)
    for problem in problems:
        log.warning("settings: %s", problem)
    if admin.source:
        log.info("administrator defaults from %s; locked: %s", admin.source, ", ".join(sorted(admin.locked)))
    return LoadResult(effective, problems, overrides, stored, broken_copy, admin, file_keys)


def save_settings(settings: Settings, path: Path | None = None, *, leave_out: Collection[str] = ()) -> None:
    """Write atomically: a crash or a full disk leaves either the old file or the new one, never half.

    `leave_out` names "section.field" entries not to write (see `LoadResult.for_file`).
    Raises OSError when the folder cannot be written; the caller says so to the person.
    """
    path = default_settings_path() if path is None else path
    make_private_folder(path.parent)
    text = json.dumps(settings_to_dict(settings, leave_out=leave_out), indent=2, sort_keys=False) + "\n"
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


def settings_to_dict(settings: Settings, *, leave_out: Collection[str] = ()) -> dict[str, Any]:
    data: dict[str, Any] = dict(settings.preserved)
    for section_name in _SECTION_TYPES:
        section = getattr(settings, section_name)
        known = {
            f.name: _plain(getattr(section, f.name))
            for f in dataclasses.fields(section)
            if f"{section_name}.{f.name}" not in leave_out
        }
        extra = data.get(section_name)
        data[section_name] = {**(extra if isinstance(extra, dict) else {}), **known}
    data.pop("schema_version", None)
    # A file from a newer version keeps its number: its unknown keys are still there, unchanged.
    return {"schema_version": max(settings.schema_version, SCHEMA_VERSION), **data}


def settings_from_dict(data: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Build settings from parsed JSON: each unusable value becomes its default with a sentence."""
    settings, problems, _keys = _settings_over(Settings(), data)
    return settings, problems


def _settings_over(base: Settings, data: Mapping[str, Any]) -> tuple[Settings, list[str], frozenset[str]]:
    """`base` with each usable value of the parsed file `data` on top; also the sentences about
    the unusable ones, and the "section.field" names that had a usable value."""
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
    values: dict[str, Any] = {}
    for section, cls in _SECTION_TYPES.items():
        accepted = _section_values(cls, sections.get(section, {}), problems, "the settings file")
        values.update({f"{section}.{name}": value for name, value in accepted.items()})
    layered = _with_fields(base, values)
    settings = replace(
        layered, schema_version=max(version, SCHEMA_VERSION), preserved=MappingProxyType(preserved)
    )
    return settings, problems, frozenset(values)


def admin_defaults_from_raw(raw: RawAdminDefaults | None) -> tuple[AdminDefaults, list[str]]:
    """The administrator's defaults as read (`ringdesk.admin_defaults`), checked; never raises."""
    if raw is None:
        return AdminDefaults(), []
    if raw.data is None:
        return AdminDefaults(), [
            f"The defaults your administrator set in {raw.source} could not be used because "
            f"{raw.problem}; RingDesk ignored them."
        ]
    return admin_defaults_from_dict(raw.data, raw.source)


def admin_defaults_from_dict(data: Mapping[str, Any], source: str) -> tuple[AdminDefaults, list[str]]:
    """Check the administrator's `data` by the rules of the person's file; also the sentences.

    Each unusable value is left out (and so is its lock: the person's own value applies rather
    than a default nobody chose); the rest applies. A setting that is each person's own, and
    anything that looks like a secret, is refused with a sentence: RingDesk keeps secrets only in
    each person's keyring, never in a file. Names this version does not know are mistakes in a
    file written for it, and are reported; in a file for a newer schema they are that version's,
    and are left alone.
    """
    where = f"your administrator's defaults ({source})"
    problems: list[str] = []
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"The schema version {version!r} in {where} is not one RingDesk knows.")
        version = SCHEMA_VERSION
    newer = version > SCHEMA_VERSION
    values: dict[str, Any] = {}
    unusable: set[str] = set()
    for key, value in data.items():
        if key in ("schema_version", "locked"):
            continue
        if _looks_secret(key):
            problems.append(_secret_sentence(key, where))
        elif key not in _SECTION_TYPES:
            if not newer:
                problems.append(f'RingDesk has no settings section "{key}"; {where} cannot preset it.')
        elif not isinstance(value, dict):
            problems.append(f'The section "{key}" in {where} is not a group of values.')
        else:
            offered: dict[str, Any] = {}
            for name, item in value.items():
                full = f"{key}.{name}"
                if full in ADMIN_FIELDS:
                    offered[name] = item
                elif name in _field_names(key):
                    label = _FIELD_LABELS.get(name, name)
                    problems.append(f"The {label} is each person's own; {where} cannot preset it.")
                elif _looks_secret(name):
                    problems.append(_secret_sentence(full, where))
                elif not newer:
                    problems.append(f'RingDesk has no setting "{full}"; {where} cannot preset it.')
            accepted = _section_values(_SECTION_TYPES[key], offered, problems, where)
            values.update({f"{key}.{name}": item for name, item in accepted.items()})
            unusable.update(f"{key}.{name}" for name in offered if name not in accepted)
    locked = _admin_locks(data.get("locked", []), where, newer, problems)
    if locked & _LOCKED_TOGETHER:
        locked |= _LOCKED_TOGETHER
    # A lock on a value that could not be used would hold RingDesk's default, which nobody chose.
    locked -= unusable
    if unusable & _LOCKED_TOGETHER:
        locked -= _LOCKED_TOGETHER
    if problems:
        problems.append(f"RingDesk left out each of these and used the rest of {where}.")
    return AdminDefaults(source, MappingProxyType(values), frozenset(locked)), problems


def _admin_locks(raw: Any, where: str, newer: bool, problems: list[str]) -> set[str]:
    if not isinstance(raw, list) or not all(isinstance(entry, str) for entry in raw):
        problems.append(
            f'"locked" in {where} must be a list of names such as "connection.server", not {raw!r}.'
        )
        return set()
    locked: set[str] = set()
    for entry in raw:
        section, _, name = entry.partition(".")
        if entry in ADMIN_FIELDS:
            locked.add(entry)
        elif section in _SECTION_TYPES and name in _field_names(section):
            label = _FIELD_LABELS.get(name, name)
            problems.append(f"The {label} is each person's own; {where} cannot lock it.")
        elif not newer:
            problems.append(f'RingDesk has no setting "{entry}"; {where} cannot lock it.')
    return locked


def _looks_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered not in _SECRET_SWITCHES and any(word in lowered for word in _SECRET_WORDS)


def _secret_sentence(name: str, where: str) -> str:
    return (
        f'{where[0].upper()}{where[1:]} hold "{name}", which looks like a secret: RingDesk never '
        "takes one from a file (each person's are kept in their keyring), so it was ignored."
    )


def apply_env_overrides(
    settings: Settings, environ: Mapping[str, str], *, locked: Collection[str] = ()
) -> tuple[Settings, tuple[str, ...], list[str]]:
    """`settings` with the `RINGDESK_*` overrides applied; also the variables used and any problems.

    A variable for a setting in `locked` is not applied, and a sentence says so (see the module
    docstring for why a lock wins).
    """
    changes: dict[str, Any] = {}
    used: list[str] = []
    problems: list[str] = []
    for env, name in (
        (ENV_SERVER_URL, "server"),
        (ENV_CLIENT_ID, "client_id"),
        (ENV_REDIRECT_URI, "redirect_uri"),
        (ENV_LOGIN_METHOD, "login_method"),
    ):
        if f"connection.{name}" in locked and environ.get(env, "").strip():
            label = _FIELD_LABELS.get(name, name)
            problems.append(f"{env} is ignored: your administrator set the {label}.")
            environ = {key: value for key, value in environ.items() if key != env}
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
                f"{ENV_LOGIN_METHOD} is {method!r}, which is not a sign-in method; use one of "
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
        "login_method": "sign-in method",
        "use_client_secret": '"use a client secret" switch',
        "allow_password_grant": '"allow password sign-in" switch',
        "ask_to_sign_in_at_start": '"ask to sign in at start" switch',
        "close_to_tray": '"close to the tray" switch',
        "start_minimized": '"start minimized" switch',
        "notify_connected": '"notify when a call connects" switch',
        "notify_failed": '"notify when a call fails" switch',
        "notify_ended": '"notify when a call ends" switch',
        "call_links_at_once": '"call phone links at once" switch',
        "forwarding_number_id": "phone to ring first",
        "phone_number": "number to ring first",
        "phone_label": "label of the phone to ring first",
        "caller_id": "caller ID",
        "play_prompt": '"press 1 to connect" switch',
        "default_country": "default country",
    }
)


#: Names that say a secret is used (kept in the keyring), not that one is here.
_SECRET_SWITCHES: Final = frozenset({"use_client_secret", "allow_password_grant"})
#: Parts of a name that mean a secret, refused in the administrator's file.
_SECRET_WORDS: Final = ("secret", "password", "token", "jwt", "credential", "assertion", "private_key")


def _field_names(section: str) -> set[str]:
    return {f.name for f in dataclasses.fields(_SECTION_TYPES[section])}


def _section_values(
    cls: type[Any], values: Mapping[str, Any], problems: list[str], where: str
) -> dict[str, Any]:
    """The usable values of one section of a file (`where`: "the settings file"), typed; a sentence
    in `problems` for each unusable one."""
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
                problems.append(f"The {label} {raw!r} in {where} is not one of: {allowed}.")
        elif isinstance(default, bool):
            if isinstance(raw, bool):
                kwargs[f.name] = raw
            else:
                problems.append(f"The {label} in {where} must be true or false, not {raw!r}.")
        elif isinstance(default, str):
            if isinstance(raw, str):
                kwargs[f.name] = raw
            else:
                problems.append(f"The {label} in {where} must be text, not {raw!r}.")
        elif default is None:  # optional text: null means "not chosen"
            if raw is None or isinstance(raw, str):
                kwargs[f.name] = raw or None
            else:
                problems.append(f"The {label} in {where} must be text or null, not {raw!r}.")
        else:  # pragma: no cover - every field is one of the kinds above
            kwargs[f.name] = raw
    return kwargs


def _get_field(settings: Settings, key: str) -> Any:
    section, _, name = key.partition(".")
    return getattr(getattr(settings, section), name)


def _with_fields(settings: Settings, values: Mapping[str, Any]) -> Settings:
    """`settings` with each "section.field" in `values` set."""
    if not values:
        return settings
    sections: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        section, _, name = key.partition(".")
        sections.setdefault(section, {})[name] = value
    return replace(
        settings,
        **{section: replace(getattr(settings, section), **changes) for section, changes in sections.items()},
    )


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
