"""The composition root: builds settings, services, view models and windows, and wires them together.

This is the only module that knows all the parts. Start-up (seed 003):

1. settings are loaded (a damaged file is kept aside and reported in the window);
2. the platform client, token store and session are built for the configured server (for the
   built-in simulator, or `--demo`, the simulator is started in this process first);
3. `session.restore()`: stored tokens that still work sign in silently; with the JWT method a
   stored JWT signs in without any window;
4. otherwise the signed-out prompt asks "Sign in now" / "Continue signed out" (with `--demo`
   the real sign-in window opens at once, on the simulator's page that shows the demo account).

Quitting from anywhere (menu, window close, Ctrl-C, SIGTERM, session end) goes through
`QuitGuard`: windows close, tasks are cancelled, then session, client and simulator are closed
while the loop still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from keyring.backend import KeyringBackend
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QDialog, QSystemTrayIcon

from ringdesk import __version__
from ringdesk.auth.session import Session
from ringdesk.auth.token_store import TokenStore
from ringdesk.calls.ringout import DEFAULT_POLL_INTERVAL, RingOutService
from ringdesk.calls.state import Phase
from ringdesk.config import (
    DEFAULT_REDIRECT_URI,
    DEMO_CLIENT_ID,
    LOGIN_METHOD_LABELS,
    SERVER_LABELS,
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    LoginMethod,
    ServerKind,
    Settings,
    load_settings,
    save_settings,
    validate_connection,
)
from ringdesk.errors import RingDeskError, report
from ringdesk.paths import app_paths
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.qtasync import QuitGuard, application, cancel_spawned, run_app, spawn
from ringdesk.simulator import Scenario, Simulator
from ringdesk.storage.history import CallHistory
from ringdesk.ui.connection_settings import ConnectionSettingsDialog
from ringdesk.ui.dialer import DialerWidget
from ringdesk.ui.history_window import HistoryWindow
from ringdesk.ui.main_window import MainWindow
from ringdesk.ui.notifications import DesktopNotifier
from ringdesk.ui.phone_picker import PhonePickerDialog
from ringdesk.ui.preferences import PreferencesDialog
from ringdesk.ui.sign_in_window import BrowserWaitWindow, UnattendedSignInDialog, embedded_window_factory
from ringdesk.ui.signed_out_prompt import SignedOutPrompt
from ringdesk.ui.style import apply_style
from ringdesk.ui.tray import TrayIcon
from ringdesk.ui.viewmodels.connection import ConnectionViewModel
from ringdesk.ui.viewmodels.dialer import (
    AccountPhones,
    CallView,
    DialerViewModel,
    PhonePickerViewModel,
)
from ringdesk.ui.viewmodels.history import HistoryViewModel
from ringdesk.ui.viewmodels.preferences import PreferencesViewModel
from ringdesk.ui.viewmodels.session import ConnectionInfo, SessionView, SessionViewModel
from ringdesk.ui.viewmodels.sign_in import SignInViewModel
from ringdesk.ui.viewmodels.tray import TrayViewModel

__all__ = ["AppOptions", "RingDeskApp", "demo_connection", "main", "prepare_qt"]

log = logging.getLogger("ringdesk.app")


def prepare_qt() -> bool:
    """What must happen before the QApplication exists; True when QtWebEngine can be used.

    Chromium refuses its sandbox as root (containers, CI), so only then is it switched off.
    QtWebEngine must be imported before the application object, and wants shared GL contexts.
    """
    if os.name == "posix" and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError:
        log.info("QtWebEngine is not available; sign-in uses the system browser")
        return False
    return True


def main(*, demo: bool = False) -> int:
    """Start the GUI; returns the process exit code. Logging is set up by the caller (the CLI)."""
    web_engine = prepare_qt()

    app = application()
    app.setApplicationName("RingDesk")
    app.setApplicationDisplayName("RingDesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("RingDesk")
    app.setDesktopFileName("ringdesk")
    apply_style(app)
    options = AppOptions(demo=demo, web_engine=web_engine)
    return run_app(lambda guard: RingDeskApp(options, guard).run(), app=app)


@dataclass(frozen=True)
class AppOptions:
    demo: bool = False
    #: QtWebEngine was imported before the QApplication (see `prepare_qt`).
    web_engine: bool = True
    #: Default: `app_paths().settings_file`.
    settings_path: Path | None = None
    #: Default: the process environment (for `RINGDESK_*` overrides).
    environ: Mapping[str, str] | None = None
    #: The scenario the in-process simulator serves (default: the demo account).
    scenario: Scenario | None = None
    #: A keyring backend for the token store (tests use keyring's fail backend for "no keyring").
    keyring_backend: KeyringBackend | None = None
    #: Where window geometry is kept; default: next to the settings file. False: nowhere.
    window_state: Path | bool | None = None
    #: Seconds between call status polls (default: the service's; the Light budget still rules).
    call_poll_interval: float | None = None


def demo_connection(web_engine: bool) -> ConnectionSettings:
    """The connection `--demo` uses: the in-process simulator and its public demo app."""
    return ConnectionSettings(
        server=ServerKind.SIMULATOR,
        client_id=DEMO_CLIENT_ID,
        redirect_uri=DEFAULT_REDIRECT_URI,
        login_method=LoginMethod.EMBEDDED if web_engine else LoginMethod.SYSTEM_BROWSER,
    )


class RingDeskApp:
    """One running RingDesk: owns every service and window, and the order they start and stop in."""

    def __init__(self, options: AppOptions, guard: QuitGuard) -> None:
        self.options = options
        self.guard = guard
        paths = app_paths()
        self.settings_path = options.settings_path or paths.settings_file
        self.loaded = load_settings(self.settings_path, environ=options.environ)
        self.settings = self.loaded.settings
        if options.demo:
            # In memory only: the person's saved settings stay as they were. The demo account's
            # phones are not theirs, so the demo starts with no phone chosen.
            self.settings = replace(
                self.settings, connection=demo_connection(options.web_engine), dialer=DialerSettings()
            )

        self.simulator: Simulator | None = None
        self.client: PlatformClient | None = None
        self.store: TokenStore | None = None
        self.session: Session | None = None
        self.sign_in_vm: SignInViewModel | None = None
        self.signed_out_prompt: SignedOutPrompt | None = None
        # Dialogs shown with open() live until they finish; Python must hold them meanwhile.
        self._dialogs: set[QDialog] = set()
        self._reconnecting: asyncio.Task[None] | None = None

        self.session_vm = SessionViewModel()
        self.session_vm.sign_in_requested.connect(self.begin_sign_in)
        state: Path | None
        if options.window_state is False:
            state = None
        elif isinstance(options.window_state, Path):
            state = options.window_state
        else:
            state = self.settings_path.with_name("window-state.ini")
        self.main_window = MainWindow(self.session_vm, state_file=state)
        self.main_window.quit_requested.connect(guard.request_quit)
        self.main_window.connection_settings_requested.connect(self.open_connection_settings)
        problems = list(self.loaded.problems)
        if self.loaded.overrides:
            problems.append("Set by the environment for this run: " + ", ".join(self.loaded.overrides) + ".")
        self.main_window.show_settings_problems(problems)

        # The dialer is there signed out too: history and redial work without a session.
        self.history: CallHistory | None = None
        self.ringout: RingOutService | None = None
        self._account_task: asyncio.Task[None] | None = None
        self._account_loaded_for: str | None = None
        self._picker_offered = False
        self.phone_picker: PhonePickerDialog | None = None
        # Owned by the window (deleted with it, by Qt): view models with timers must not be left
        # for Python's garbage collector to destroy at an arbitrary moment.
        self.dialer_vm = DialerViewModel(preferences=self.settings.dialer, parent=self.main_window)
        self.picker_vm = PhonePickerViewModel(
            self._load_account_phones, self.settings.dialer, parent=self.main_window
        )
        self.picker_vm.saved.connect(self._phone_chosen)
        self.dialer_vm.phone_picker_requested.connect(self.open_phone_picker)
        self.dialer = DialerWidget(self.dialer_vm)
        self.main_window.set_content(self.dialer)
        self.session_vm.changed.connect(self._session_changed)

        # The history window is made once and only hidden when closed (it keeps its search).
        self.history_vm = HistoryViewModel(parent=self.main_window)
        self.history_window = HistoryWindow(self.history_vm)
        self.history_vm.redial_requested.connect(self.redial)
        self.main_window.history_requested.connect(self.show_history)
        self.main_window.phone_picker_requested.connect(self.open_phone_picker)
        self._shown_phase: Phase | None = None
        self.dialer_vm.call_vm.changed.connect(self._call_changed)

        # The tray where the desktop has one; otherwise closing the window quits, and call
        # notifications go to the desktop's notification service when there is one.
        self.tray_vm = TrayViewModel(
            self.session_vm,
            self.dialer_vm,
            self.settings.general,
            window_active=self.main_window.isActiveWindow,
            parent=self.main_window,
        )
        self.tray_vm.show_hide_requested.connect(self._show_or_hide)
        self.tray_vm.quit_requested.connect(guard.request_quit)
        self.main_window.on_screen_changed.connect(self.tray_vm.set_window_visible)
        self.main_window.hidden_to_tray.connect(self._hidden_to_tray)
        self.main_window.preferences_requested.connect(self.open_preferences)
        self.tray: TrayIcon | None = None
        self.notifier: DesktopNotifier | None = None
        self._told_about_tray = False
        if TrayIcon.available():
            self.tray = TrayIcon(self.tray_vm, parent=self.main_window)
        elif DesktopNotifier.available():
            self.notifier = DesktopNotifier()
            self.tray_vm.notify.connect(self.notifier.notify)
        self.main_window.set_close_to_tray(self.tray is not None and self.settings.general.close_to_tray)

    # ------------------------------------------------------------------ life cycle

    async def run(self) -> int:
        try:
            await self.start()
            await self.guard.wait()
        finally:
            await self.shutdown()
        return 0

    async def start(self) -> None:
        if self.tray is not None:
            self.tray.show()
        if self.tray is None or not self.settings.general.start_minimized:
            self.main_window.show()
        self.dialer.setFocus()
        self._watch_network()
        await self._open_history()
        try:
            await self.connect(self.settings)
        except Exception as error:
            # The window stays usable (settings, history); the person reads what went wrong.
            sentence = report(error, context="connecting at start", logger=log)
            self.main_window.show_message(sentence, 15000)
            self.session_vm.bind(None)
            return
        if self.guard.requested:
            return
        await self.startup_sign_in()

    def _watch_network(self) -> None:
        # The session notices sleep by itself (clock jumps); a network that comes back is the
        # other moment a due or failed refresh should be tried at once instead of on its timer.
        if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
            log.info("no network-reachability backend; refreshes follow their timer only")
            return
        info = QNetworkInformation.instance()
        if info is not None:
            info.reachabilityChanged.connect(self.network_reachability_changed)

    def network_reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        if reachability == QNetworkInformation.Reachability.Online and self.session is not None:
            log.info("network is back; checking the sign-in now")
            self.session.check_now()

    async def startup_sign_in(self) -> None:
        """Seed 003: stored tokens that still work mean no question at all."""
        if self.session is None or self.store is None:
            self.ask_to_sign_in(note=self._setup_note())
            return
        problem: str | None = None
        try:
            if await self.session.restore():
                log.info("signed in with the stored sign-in")
                return
        except Exception as error:
            problem = report(error, context="restoring the sign-in", logger=log)
        if self.settings.connection.login_method is LoginMethod.JWT:
            jwt = await self.store.load_secret("jwt")
            if jwt:
                try:
                    await self.session.sign_in_with_jwt(jwt, remember=True)
                    log.info("signed in with the stored JWT credential")
                    return
                except Exception as error:
                    problem = report(error, context="JWT sign-in at start", logger=log)
        if self.options.demo and not validate_connection(self.settings.connection):
            self.begin_sign_in()
            return
        if self.settings.general.ask_to_sign_in_at_start:
            self.ask_to_sign_in(problem=problem or self.session.status.problem)

    async def shutdown(self) -> None:
        """Close windows, stop tasks, then the session, client and simulator; never raises."""
        log.info("shutting down")
        for dialog in list(self._dialogs):
            with contextlib.suppress(RuntimeError):
                dialog.close()
        self._dialogs.clear()
        if self.sign_in_vm is not None:
            self.sign_in_vm.close()
        with contextlib.suppress(RuntimeError):
            self.main_window.hide()
        with contextlib.suppress(RuntimeError):
            self.history_window.close()
            if self.tray is not None:
                self.tray.hide()
        self.session_vm.close()
        self.dialer_vm.close()
        self.picker_vm.close()
        self.history_vm.close()
        # Calls stop polling (and note in the history that RingDesk stopped following them)
        # before the tasks are cancelled, so no write is cut off half-way.
        await self._close_calls()
        await cancel_spawned()
        await self.disconnect()
        await self._close_history()
        await self._stop_simulator()
        with contextlib.suppress(RuntimeError):
            self.history_window.deleteLater()
            self.main_window.close()
            self.main_window.deleteLater()
        log.info("shut down")

    # ------------------------------------------------------------------ services

    async def connect(self, settings: Settings) -> None:
        """Build client, token store, session and sign-in view model for `settings.connection`."""
        connection = settings.connection
        if connection.server is ServerKind.SIMULATOR:
            await self._start_simulator()
        else:
            await self._stop_simulator()
        server_url = connection.server_url(self.simulator.base_url if self.simulator else None)
        problems = validate_connection(connection)
        info = ConnectionInfo(
            server_label=SERVER_LABELS[connection.server],
            server_url=server_url or "",
            login_method_label=LOGIN_METHOD_LABELS[connection.login_method],
        )
        if problems or not server_url:
            log.info("connection not set up: %s", " ".join(problems))
            self.session_vm.bind(None, connection=info)
            return
        store = self.store = self._make_store(server_url, connection.client_id)
        secret: str | None = None
        if connection.use_client_secret:
            secret = await store.load_secret("client_secret")
            if not secret:
                self.main_window.show_message(
                    "The client secret is missing from the keyring; enter it in Connection settings."
                )
        self.client = PlatformClient(server_url, connection.client_id, client_secret=secret)
        self.session = Session(self.client, store)
        if self.history is not None:
            self.ringout = RingOutService(
                self.client,
                self.history,
                call_control=self._call_control,
                poll_interval=self.options.call_poll_interval or DEFAULT_POLL_INTERVAL,
            )
        storage = store.backend_name if store.persistent else None
        self.session_vm.bind(self.session, connection=dataclasses.replace(info, secret_storage=storage))
        self.sign_in_vm = self._make_sign_in_vm(connection)

    async def disconnect(self) -> None:
        await self._close_calls()
        self.dialer_vm.set_service(None)
        self.ringout = None
        self._account_loaded_for = None
        if self.sign_in_vm is not None:
            self.sign_in_vm.close()
            self.sign_in_vm.deleteLater()
            self.sign_in_vm = None
        session, self.session = self.session, None
        client, self.client = self.client, None
        store, self.store = self.store, None
        if session is not None:
            if self.options.demo and store is not None:
                # The demo's simulator gets a new port each run: its tokens would only pile up.
                with contextlib.suppress(Exception):
                    await store.clear()
            try:
                await session.aclose()
            except Exception as error:
                report(error, context="closing the session", logger=log)
        if client is not None:
            try:
                await client.aclose()
            except Exception as error:
                report(error, context="closing the platform client", logger=log)

    async def reconnect(self, settings: Settings) -> None:
        """After the connection settings changed: a fresh session for the new server and app."""
        self.session_vm.bind(None)
        await self.disconnect()
        self.settings = settings
        await self.connect(settings)
        if self.session is not None:
            try:
                await self.session.restore()
            except Exception as error:
                report(error, context="restoring the sign-in", logger=log)

    def _make_store(self, server_url: str, client_id: str) -> TokenStore:
        if self.options.keyring_backend is not None:
            return TokenStore(server_url, client_id, backend=self.options.keyring_backend)
        return TokenStore(server_url, client_id)

    def _make_sign_in_vm(self, connection: ConnectionSettings) -> SignInViewModel:
        assert self.session is not None and self.client is not None
        vm = SignInViewModel(
            self.session,
            self.client,
            redirect_uri=connection.redirect_uri,
            login_method=connection.login_method,
            allow_password_grant=connection.allow_password_grant,
            window_factory=embedded_window_factory() if self.options.web_engine else None,
            wait_window_factory=BrowserWaitWindow,
            store=self.store,
        )
        vm.succeeded.connect(lambda _identity: self.main_window.show_message("Signed in."))
        vm.failed.connect(lambda sentence: self.main_window.show_message(sentence, 10000))
        return vm

    async def _start_simulator(self) -> None:
        if self.simulator is not None:
            return
        scenario = self.options.scenario or Scenario(demo_mode=True)
        simulator = Simulator(scenario)
        # Starting waits for the server thread to listen; keep the window responsive meanwhile.
        await asyncio.to_thread(simulator.start)
        self.simulator = simulator
        log.info("built-in simulator listening at %s", simulator.base_url)

    async def _stop_simulator(self) -> None:
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await asyncio.to_thread(simulator.stop)
            log.info("built-in simulator stopped")

    # ------------------------------------------------------------------ dialer

    async def _open_history(self) -> None:
        try:
            self.history = await CallHistory.open(app_paths().history_db)
        except Exception as error:
            sentence = report(error, context="opening the call history", logger=log)
            self.main_window.show_message(f"The call history could not be opened: {sentence}", 15000)
            return
        if self.history.problems:
            self.main_window.show_message(" ".join(self.history.problems), 15000)
        self.dialer_vm.set_history(self.history)
        self.history_vm.set_history(self.history)

    async def _close_history(self) -> None:
        history, self.history = self.history, None
        if history is None:
            return
        self.history_vm.set_history(None)
        try:
            await history.close()
        except Exception as error:
            report(error, context="closing the call history", logger=log)

    async def _close_calls(self) -> None:
        if self.ringout is not None:
            try:
                await self.ringout.aclose()
            except Exception as error:
                report(error, context="stopping the calls", logger=log)

    def _call_control(self) -> bool:
        """Whether the signed-in token carries the Call Control permission (hang up from the app)."""
        return self.session is not None and self.session.granted("CallControl")

    def _session_changed(self, view: SessionView) -> None:
        self.dialer_vm.set_signed_in(view.signed_in)
        if not view.signed_in:
            self.dialer_vm.set_service(None)
            return
        self.dialer_vm.set_service(self.ringout)
        identity = self.session.status.identity if self.session is not None else None
        who = identity.extension_id if identity is not None else "?"
        if who != self._account_loaded_for and (self._account_task is None or self._account_task.done()):
            self._account_loaded_for = who
            self._account_task = spawn(self._load_account_after_sign_in(), name="load phones after sign-in")

    async def _load_account_phones(self) -> AccountPhones:
        """The extension and its phone lists, for the picker and the default country."""
        client = self.client
        if client is None or self.session is None or not self.session_vm.view.signed_in:
            raise NotSignedIn()
        extension, forwarding, numbers = await asyncio.gather(
            client.get_extension(), client.list_forwarding_numbers(), client.list_phone_numbers()
        )
        country = extension.home_country.iso_code if extension.home_country else None
        self.dialer_vm.set_home_region(country)
        return AccountPhones(extension, tuple(forwarding), tuple(numbers))

    async def _load_account_after_sign_in(self) -> None:
        try:
            phones = await self._load_account_phones()
        except Exception as error:
            sentence = report(error, context="loading your phones", logger=log)
            self.main_window.show_message(sentence, 10000)
            self._account_loaded_for = None
            return
        self.picker_vm.set_phones(phones)
        if not self.dialer_vm.preferences.chosen and not self._picker_offered:
            # First sign-in: nothing to ring yet, so the picker shows itself once.
            self._picker_offered = True
            self.open_phone_picker()

    def show_history(self) -> None:
        window = self.history_window
        window.show()
        window.raise_()
        window.activateWindow()

    def redial(self, number: str) -> None:
        """Call back from the history (or the tray): the number goes into the dialer, which calls it
        when calling is possible now and otherwise shows why not."""
        self.main_window.show_and_raise()
        self.dialer_vm.redial(number)

    def _call_changed(self, view: CallView) -> None:
        # The history lists the call from "In progress" to its outcome: reload on each new phase,
        # not on every tick of the running time.
        if view.phase is not self._shown_phase:
            self._shown_phase = view.phase
            if self.history_window.isVisible():
                self.history_vm.refresh()

    def _show_or_hide(self, show: bool) -> None:
        if show:
            self.main_window.show_and_raise()
        else:
            self.main_window.hide()

    def _hidden_to_tray(self) -> None:
        # Said once per run: a window that vanishes on close would otherwise look like a quit.
        if self.tray is not None and not self._told_about_tray:
            self._told_about_tray = True
            self.tray.showMessage(
                "RingDesk is still running",
                "Calls and sign-in go on. Click the tray icon to open RingDesk; Quit is in its menu.",
                QSystemTrayIcon.MessageIcon.Information,
                5000,
            )

    def open_preferences(self) -> None:
        vm = PreferencesViewModel(
            self.settings.general, save=self._save_general, tray_available=self.tray is not None
        )
        dialog = PreferencesDialog(vm, self.main_window)
        vm.setParent(dialog)
        self._open(dialog)

    def _save_general(self, general: GeneralSettings) -> None:
        self._keep(general=general, raise_errors=True)
        self.tray_vm.set_general(general)
        self.main_window.set_close_to_tray(self.tray is not None and general.close_to_tray)

    def _phone_chosen(self, choice: DialerSettings) -> None:
        self.dialer_vm.set_preferences(choice)
        self._keep(dialer=choice)

    def open_phone_picker(self) -> None:
        """The gear: choose the phone, caller ID, press 1 and default country."""
        if self.phone_picker is not None:
            with contextlib.suppress(RuntimeError):
                self.phone_picker.raise_()
                self.phone_picker.activateWindow()
                return
        dialog = PhonePickerDialog(self.picker_vm, parent=self.main_window)
        self.phone_picker = dialog

        def closed(_result: int) -> None:
            self.phone_picker = None

        dialog.finished.connect(closed)
        self._open(dialog)
        if not self.picker_vm.view.phones and self.session_vm.view.signed_in:
            self.picker_vm.refresh()

    # ------------------------------------------------------------------ intents from the windows

    def begin_sign_in(self) -> None:
        """Sign in..., "Get credentials" or "Sign in again": the configured sign-in flow."""
        if self.sign_in_vm is None:
            self.main_window.show_message("Set up the connection first.", 8000)
            self.open_connection_settings()
            return
        if self.settings.connection.login_method in (LoginMethod.JWT, LoginMethod.PASSWORD):
            self._open(UnattendedSignInDialog(self.sign_in_vm, parent=self.main_window))
            return
        self.sign_in_vm.start()

    def ask_to_sign_in(self, *, problem: str | None = None, note: str | None = None) -> None:
        kind = self.settings.connection.server
        label = "RingCentral" if kind in (ServerKind.RINGCENTRAL, ServerKind.PARTNER) else SERVER_LABELS[kind]
        prompt = SignedOutPrompt(
            server_label=label,
            problem=problem,
            note=note,
            ask_at_start=self.settings.general.ask_to_sign_in_at_start,
            parent=self.main_window,
        )
        self.signed_out_prompt = prompt

        def answered(sign_in_now: bool) -> None:
            if prompt.ask_at_start != self.settings.general.ask_to_sign_in_at_start:
                self._remember_ask_at_start(prompt.ask_at_start)
            if sign_in_now:
                self.begin_sign_in()

        prompt.answered.connect(answered)
        self._open(prompt)

    def open_connection_settings(self) -> None:
        vm = ConnectionViewModel(
            self.settings.connection,
            save=self._save_connection,
            store_for=self._store_for,
            embedded_available=self.options.web_engine,
        )
        dialog = ConnectionSettingsDialog(vm, parent=self.main_window)
        vm.setParent(dialog)
        self._open(dialog)

    # ------------------------------------------------------------------ helpers

    def _open(self, dialog: QDialog) -> None:
        """Show `dialog` with open() (never exec()) and keep it alive until it finishes."""
        self._dialogs.add(dialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._dialogs.discard(dialog))
        dialog.open()

    def _setup_note(self) -> str:
        problems = validate_connection(self.settings.connection)
        first = problems[0] if problems else "The connection is not set up yet."
        return f'Set up the connection first: {first} "Sign in now" opens the connection settings.'

    def _store_for(self, connection: ConnectionSettings) -> TokenStore | None:
        url = connection.server_url(self.simulator.base_url if self.simulator else None)
        if connection.server is ServerKind.SIMULATOR and url is None:
            return None
        if not url or not connection.client_id.strip():
            return None
        if (
            self.store is not None
            and self.client is not None
            and (self.client.server_url == url.rstrip("/") and self.client.client_id == connection.client_id)
        ):
            return self.store
        return self._make_store(url, connection.client_id.strip())

    async def _save_connection(self, connection: ConnectionSettings) -> None:
        before = self.settings.connection
        # The dialog says so itself when the file cannot be written.
        self._keep(connection=connection, raise_errors=True)
        if connection != before:
            self.main_window.show_message("Connection settings saved; connecting again.")
            self._reconnecting = spawn(self.reconnect(self.settings), name="reconnect after settings change")

    def _remember_ask_at_start(self, ask: bool) -> None:
        self._keep(general=replace(self.settings.general, ask_to_sign_in_at_start=ask))

    def _keep(self, *, raise_errors: bool = False, **sections: object) -> None:
        """Use changed settings sections at once and save them to the settings file.

        Environment overrides were for this run only and never reach the file. With `--demo` the
        connection and the phone choice belong to the demo account and stay in memory.
        """
        self.settings = replace(self.settings, **sections)  # type: ignore[arg-type]
        if self.options.demo:
            saved = {name: value for name, value in sections.items() if name not in ("connection", "dialer")}
            if not saved:
                return
            to_save = replace(self.loaded.stored or Settings(), **saved)  # type: ignore[arg-type]
        else:
            to_save = self.loaded.without_overrides(self.settings)
        try:
            save_settings(to_save, self.settings_path)
        except OSError as error:
            if raise_errors:
                raise
            log.warning("could not save settings: %s", error)
            reason = error.strerror or str(error)
            self.main_window.show_message(f"RingDesk could not save your settings: {reason}.")


class NotSignedIn(RingDeskError):
    default_user_message = "Sign in to load your phones and numbers."
