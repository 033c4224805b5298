"""The connection settings view model: a draft of `ConnectionSettings`, live problems per field, save.

The dialog edits a draft; nothing changes for the rest of the app until `save()` succeeds. The
problems come from `ringdesk.config`'s validators (one source of truth for what is valid), split
per field so each sentence can sit next to the field it is about. The optional client secret is
never part of the settings: `save()` hands it to the secret store (the keyring) and forgets it.

Settings the administrator locked cannot change in the draft: their setters leave them as they are,
so `save()` hands on the administrator's values, and the settings keeper writes none of them to
the person's file anyway. `is_locked` and `notes()` say which, for the dialog to show.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from ringdesk.auth.token_store import SecretName
from ringdesk.config import (
    DEFAULT_REDIRECT_URI,
    DEMO_CLIENT_ID,
    LOCKED_NOTE,
    LOGIN_METHOD_LABELS,
    SERVER_LABELS,
    ConnectionSettings,
    LoginMethod,
    ServerKind,
    validate_connection,
    validate_redirect_uri,
    validate_server_url,
)
from ringdesk.errors import report
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.secret_storage import SecretStorage, describe_secret_storage

__all__ = ["FIELDS", "ConnectionViewModel", "SecretStore"]

_log = logging.getLogger("ringdesk.ui.settings")

#: The fields that can carry problems, in the order the dialog shows them.
FIELDS = ("server", "client_id", "client_secret", "redirect_uri", "login_method")

#: The settings behind each field of the dialog that has some (for `is_locked` and the notes).
_FIELD_SETTINGS = {
    "server": ("server", "custom_server_url"),
    "client_id": ("client_id",),
    "client_secret": ("use_client_secret",),
    "redirect_uri": ("redirect_uri",),
    "login_method": ("login_method",),
    "allow_password_grant": ("allow_password_grant",),
}

CLIENT_SECRET_NAME: SecretName = "client_secret"

_NEEDS_SECRET = 'Enter the client secret, or clear "This app has a client secret" for a public app.'
_SECRET_NOT_KEPT = "The client secret could not be stored in the keyring, so nothing was saved: {reason}"


class SecretStore(SecretStorage, Protocol):
    """The part of `TokenStore` the dialog uses."""

    async def save_secret(self, name: SecretName, value: str) -> None: ...
    async def load_secret(self, name: SecretName) -> str | None: ...
    async def delete_secret(self, name: SecretName) -> None: ...


Saver = Callable[[ConnectionSettings], Awaitable[None] | None]
StoreFor = Callable[[ConnectionSettings], SecretStore | None]


class ConnectionViewModel(QObject):
    """A draft of the connection settings with live validation.

    `settings` is where the draft starts. `save(connection)` writes the settings (the app keeps
    environment overrides out of the file); it may be a coroutine function and may raise OSError.
    `store_for(connection)` gives the secret store for a server and client id (None: no store);
    `embedded_available` is False when QtWebEngine is missing. `spawn(coro, name=)` runs the
    keyring work on the Qt event loop. `locked` names the `ConnectionSettings` fields the
    administrator locked: the draft keeps them as `settings` has them.

    Signals: `changed()` after any edit or when the stored-secret check finishes; `saved(object)`
    with the saved `ConnectionSettings`; `save_failed(str)` with one sentence; `busy(bool)`.

    Not a `ViewModel`, because it publishes no view: it is the draft of a form whose editors hold
    the text being typed and pass in every keystroke. What the dialog shows besides the draft (the
    problems and notes per field, the login methods offered, whether Save is possible) is worked
    out from the draft by `ringdesk.config`'s validators when the dialog asks, so `changed()`
    carries nothing and means "read the draft again".
    """

    changed = Signal()
    saved = Signal(object)
    save_failed = Signal(str)
    busy = Signal(bool)

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        save: Saver,
        store_for: StoreFor | None = None,
        embedded_available: bool = True,
        spawn: Callable[..., asyncio.Task[Any]] | None = None,
        locked: Collection[str] = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._locked = frozenset(locked)
        self._original = settings
        self._draft = settings
        self._save = save
        self._store_for = store_for or (lambda _connection: None)
        self._embedded_available = embedded_available
        self._spawn = spawn or qt_spawn
        self._secret = ""
        self._secret_stored = False
        self._busy = False

    # ------------------------------------------------------------------ the draft

    @property
    def draft(self) -> ConnectionSettings:
        return self._draft

    @property
    def client_secret(self) -> str:
        """The secret typed in this dialog, not yet stored (empty: keep what is stored)."""
        return self._secret

    @property
    def secret_stored(self) -> bool:
        """Whether the keyring already holds a client secret for this server and client id."""
        return self._secret_stored

    @property
    def is_busy(self) -> bool:
        return self._busy

    @property
    def locked(self) -> frozenset[str]:
        """The `ConnectionSettings` fields the administrator locked."""
        return self._locked

    def is_locked(self, name: str) -> bool:
        """Whether a setting (`client_id`) or a field of the dialog (`server`, see `FIELDS`) is
        locked by the administrator; a field is when any setting behind it is."""
        return any(setting in self._locked for setting in _FIELD_SETTINGS.get(name, (name,)))

    def server_choices(self) -> list[tuple[ServerKind, str]]:
        return [(kind, SERVER_LABELS[kind]) for kind in ServerKind]

    def login_method_choices(self) -> list[tuple[LoginMethod, str]]:
        """The methods to offer: the password grant only when the advanced option allows it."""
        methods = [LoginMethod.EMBEDDED, LoginMethod.SYSTEM_BROWSER, LoginMethod.JWT]
        if self._draft.allow_password_grant or self._draft.login_method is LoginMethod.PASSWORD:
            methods.append(LoginMethod.PASSWORD)
        return [(method, LOGIN_METHOD_LABELS[method]) for method in methods]

    @property
    def uses_redirect_uri(self) -> bool:
        return self._draft.login_method in (LoginMethod.EMBEDDED, LoginMethod.SYSTEM_BROWSER)

    def set_server(self, kind: ServerKind | str) -> None:
        kind = ServerKind(kind)
        changes: dict[str, Any] = {"server": kind}
        if kind is ServerKind.SIMULATOR and not self._draft.client_id.strip():
            # The simulator knows one app; a person trying the demo should not have to look it up.
            changes["client_id"] = DEMO_CLIENT_ID
        self._update(**changes)

    def set_custom_server_url(self, url: str) -> None:
        self._update(custom_server_url=url)

    def set_client_id(self, client_id: str) -> None:
        self._update(client_id=client_id)

    def set_redirect_uri(self, uri: str) -> None:
        self._update(redirect_uri=uri)

    def set_login_method(self, method: LoginMethod | str) -> None:
        self._update(login_method=LoginMethod(method))

    def set_allow_password_grant(self, allowed: bool) -> None:
        changes: dict[str, Any] = {"allow_password_grant": allowed}
        if not allowed and self._draft.login_method is LoginMethod.PASSWORD:
            # Switching the option off takes the method away; JWT is the unattended way that remains.
            changes["login_method"] = LoginMethod.JWT
        self._update(**changes)

    def set_use_client_secret(self, used: bool) -> None:
        self._update(use_client_secret=used)

    def set_client_secret(self, secret: str) -> None:
        self._secret = secret.strip()
        self.changed.emit()

    def reset_redirect_uri(self) -> None:
        self.set_redirect_uri(DEFAULT_REDIRECT_URI)

    # ------------------------------------------------------------------ problems

    def problems(self) -> dict[str, list[str]]:
        """Every problem of the draft, keyed by field (see `FIELDS`); empty lists when fine."""
        draft = self._draft
        found: dict[str, list[str]] = {name: [] for name in FIELDS}
        if draft.server is ServerKind.CUSTOM:
            found["server"] = validate_server_url(draft.custom_server_url)
        # The client id alone, checked by the same rules as the whole: a draft that is valid elsewhere.
        found["client_id"] = validate_connection(
            ConnectionSettings(client_id=draft.client_id, login_method=LoginMethod.JWT)
        )
        if self.uses_redirect_uri:
            found["redirect_uri"] = validate_redirect_uri(draft.redirect_uri, draft.login_method)
        found["login_method"] = validate_connection(
            ConnectionSettings(
                client_id=DEMO_CLIENT_ID,
                login_method=draft.login_method,
                allow_password_grant=draft.allow_password_grant,
            )
        )
        if draft.use_client_secret and not self._secret and not self._secret_stored:
            found["client_secret"] = [_NEEDS_SECRET]
        # Anything the config knows about that the split above missed still blocks saving.
        everything = validate_connection(draft)
        listed = {sentence for sentences in found.values() for sentence in sentences}
        extra = [sentence for sentence in everything if sentence not in listed]
        if extra:
            found["login_method"] = [*found["login_method"], *extra]
        return found

    @property
    def can_save(self) -> bool:
        return not self._busy and not any(self.problems().values())

    def notes(self) -> dict[str, str]:
        """Short explanations that are not problems, keyed by field (and `allow_password_grant`).

        A locked field's note starts with `LOCKED_NOTE`, then what else there is to say about it.
        """
        notes = self._explanations()
        for name in _FIELD_SETTINGS:
            if self.is_locked(name):
                notes[name] = " ".join(filter(None, (LOCKED_NOTE, notes.get(name, ""))))
        return notes

    def _explanations(self) -> dict[str, str]:
        notes: dict[str, str] = {}
        if self._draft.server is ServerKind.SIMULATOR:
            notes["server"] = (
                "RingDesk runs a simulated RingCentral on this computer: nothing reaches a real "
                "phone. Client ID ringdesk-demo works with it."
            )
        if self._draft.login_method is LoginMethod.EMBEDDED and not self._embedded_available:
            notes["login_method"] = (
                "The sign-in window needs QtWebEngine, which is not installed here, so RingDesk "
                "will use your web browser instead."
            )
        elif self._draft.login_method is LoginMethod.PASSWORD:
            notes["login_method"] = (
                "RingCentral is retiring password sign-in; prefer a JWT credential for unattended use."
            )
        elif self._draft.login_method is LoginMethod.JWT:
            notes["login_method"] = (
                "You paste the JWT credential when you sign in; it is kept in the keyring."
            )
        return notes

    @property
    def secret_storage_note(self) -> str:
        return describe_secret_storage(self._store_for(self._draft), "The client secret")

    # ------------------------------------------------------------------ intents

    def check_stored_secret(self) -> None:
        """Look up (off the UI thread, in the store) whether a client secret is already kept."""
        store = self._store_for(self._draft)
        if store is None:
            return
        self._spawn(self._check_stored(store), name="look up the stored client secret")

    def save(self) -> None:
        """Store the client secret (if one was typed), then the settings; `saved` or `save_failed` follows."""
        if not self.can_save:
            return
        self._set_busy(True)
        self._spawn(self._save_all(self._draft, self._secret), name="save connection settings")

    # ------------------------------------------------------------------ inside

    def _update(self, **changes: Any) -> None:
        # A locked setting stays as the administrator set it, whichever edit would change it
        # (choosing the simulator fills in the client ID; switching password sign-in off changes
        # the method).
        changes = {name: value for name, value in changes.items() if name not in self._locked}
        before = self._draft
        self._draft = replace(before, **changes)
        if (before.server, before.custom_server_url, before.client_id) != (
            self._draft.server,
            self._draft.custom_server_url,
            self._draft.client_id,
        ):
            # A secret belongs to one server and app: what was stored for the old ones does not count.
            self._secret_stored = False
        self.changed.emit()

    async def _check_stored(self, store: SecretStore) -> None:
        draft = self._draft
        try:
            stored = await store.load_secret(CLIENT_SECRET_NAME)
        except Exception as error:
            report(error, context="looking up the client secret", logger=_log)
            return
        if self._draft is draft or self._store_for(self._draft) is store:
            self._secret_stored = bool(stored)
            self.changed.emit()

    async def _save_all(self, draft: ConnectionSettings, secret: str) -> None:
        try:
            store = self._store_for(draft)
            if draft.use_client_secret and secret:
                if store is None:
                    raise RuntimeError("no secret store for the client secret")
                try:
                    await store.save_secret(CLIENT_SECRET_NAME, secret)
                except Exception as error:
                    sentence = report(error, context="storing the client secret", logger=_log)
                    self._fail(_SECRET_NOT_KEPT.format(reason=sentence))
                    return
            elif not draft.use_client_secret and self._secret_stored and store is not None:
                # A public app again: a secret left behind would still be sent by an older setup.
                await store.delete_secret(CLIENT_SECRET_NAME)
                self._secret_stored = False
            result = self._save(draft)
            if inspect.isawaitable(result):
                await result
        except OSError as error:
            _log.warning("connection settings could not be saved: %s", error)
            self._fail(f"The settings could not be saved: {error.strerror or error}.")
            return
        except Exception as error:
            self._fail(report(error, context="saving connection settings", logger=_log))
            return
        self._secret = ""
        self._secret_stored = self._secret_stored or bool(draft.use_client_secret and secret)
        self._original = draft
        self._set_busy(False)
        self.saved.emit(draft)

    def _fail(self, sentence: str) -> None:
        self._set_busy(False)
        self.save_failed.emit(sentence)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy.emit(busy)
            self.changed.emit()
