"""The composition root: builds settings, connections, view models and windows, and wires them together.

This is the only module that knows all the parts; it makes no requests, and the rules live in the
parts (`SettingsKeeper`, `Connector`, `Connection`, `AccountLoader`, the view models): what is
here is which window shows what, and the order things start and stop in. Start-up:

1. settings are loaded (`SettingsKeeper`; a damaged file is kept aside and reported in the window)
   and the windows built; the main window is shown, and its first frame painted, before anything
   else is opened or loaded (the dialogs, the history window and the sign-in windows' modules load
   when first needed; the keyring's and the platform's libraries in the worker that connects);
2. the call history is opened, then a `Connection` is built for the configured server by the
   `Connector` (which starts the built-in simulator first when the settings name it, or `--demo`);
3. `Connection.sign_in_at_start`: stored tokens that still work sign in silently; with the JWT
   method a stored JWT signs in without any window;
4. otherwise the signed-out prompt asks "Sign in now" / "Continue signed out" (with `--demo`
   the real sign-in window opens at once, on the simulator's page that shows the demo account).

Quitting from anywhere (menu, window close, Ctrl-C, SIGTERM, session end) goes through
`QuitGuard`: windows close, tasks are cancelled, then the connection, history and simulator are
closed while the loop still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

# isort: off
# First, so that PySide6 does not read the source of every module a start imports (see there).
from ringdesk.qtasync import Application, QuitGuard, application, cancel_spawned, run_app, spawn, wait_signal

# isort: on
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from ringdesk import __version__
from ringdesk.calls.service import DEFAULT_POLL_INTERVAL
from ringdesk.calls.state import Phase
from ringdesk.config import (
    DEFAULT_REDIRECT_URI,
    DEMO_CLIENT_ID,
    SERVER_LABELS,
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    LoginMethod,
    ServerKind,
    Settings,
)
from ringdesk.connection import (
    AccountLoader,
    Connection,
    Connector,
    NotSetUp,
    NotSignedIn,
    StartUpSignIn,
)
from ringdesk.desktop.instance import PrimaryInstance, Request
from ringdesk.desktop.instance_server import InstanceServer
from ringdesk.errors import report
from ringdesk.paths import app_paths
from ringdesk.people.directory import CompanyDirectory
from ringdesk.platforms.base import AccountPhones
from ringdesk.settings_keeper import SettingsKeeper
from ringdesk.storage.history import CallHistory
from ringdesk.ui.viewmodels.call import CallView
from ringdesk.ui.viewmodels.dialer import DialerViewModel
from ringdesk.ui.viewmodels.incoming import IncomingRequestsViewModel
from ringdesk.ui.viewmodels.phone_picker import PhonePickerViewModel
from ringdesk.ui.viewmodels.session import SIGNING_IN, SessionView, SessionViewModel
from ringdesk.ui.viewmodels.tray import TrayViewModel
from ringdesk.ui.widgets.dialer import DialerWidget
from ringdesk.ui.widgets.main_window import MainWindow
from ringdesk.ui.widgets.open_dialogs import OpenDialogs
from ringdesk.ui.widgets.style import apply_style
from ringdesk.ui.widgets.tray import TrayIcon

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend
    from PySide6.QtNetwork import QNetworkInformation

    from ringdesk.auth.token_store import TokenStore
    from ringdesk.simulator import Scenario
    from ringdesk.ui.desktop_notifier import DesktopNotifier
    from ringdesk.ui.viewmodels.history import HistoryViewModel
    from ringdesk.ui.viewmodels.sign_in import SignInViewModel
    from ringdesk.ui.widgets.history_window import HistoryWindow
    from ringdesk.ui.widgets.phone_picker import PhonePickerDialog
    from ringdesk.ui.widgets.signed_out_prompt import SignedOutPrompt

__all__ = ["AppOptions", "RingDeskApp", "demo_connection", "main", "make_application", "prepare_qt"]

log = logging.getLogger("ringdesk.app")

#: Seconds a start waits for the window's first frame before it opens the history and connects.
FIRST_FRAME_WAIT = 1.0


def prepare_qt() -> bool:
    """What must happen before the QApplication exists; True when QtWebEngine can be used.

    Chromium refuses its sandbox as root (containers, CI), so only then is it switched off.
    QtWebEngine is not loaded here: with shared GL contexts set before the application object, it
    may be imported later, when a web sign-in starts, and a start with a stored sign-in never pays
    for it (tens of MiB and milliseconds).
    """
    if os.name == "posix" and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if not web_engine_installed():
        log.info("QtWebEngine is not available; sign-in uses the system browser")
        return False
    return True


def web_engine_installed() -> bool:
    """Whether QtWebEngine can be imported, without importing it (which would load it)."""
    try:
        return importlib.util.find_spec("PySide6.QtWebEngineWidgets") is not None
    except (ImportError, ValueError):
        return False


def make_application() -> tuple[QApplication, bool]:
    """The QApplication as RingDesk runs in it (names, desktop file, style), and whether QtWebEngine works.

    The one set-up for the app, the benchmark and any other program that shows RingDesk's windows.
    """
    web_engine = prepare_qt()
    app = application()
    app.setApplicationName("RingDesk")
    app.setApplicationDisplayName("RingDesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("RingDesk")
    app.setDesktopFileName("ringdesk")
    apply_style(app)
    return app, web_engine


def main(
    *,
    demo: bool = False,
    start_problems: tuple[str, ...] = (),
    start_minimized: bool = False,
    instance: PrimaryInstance | None = None,
    first_request: Request | None = None,
) -> int:
    """Start the GUI; returns the process exit code. Logging is set up by the caller (the CLI),
    which passes what it could not set up (`start_problems`) for the window to say, the
    single-instance socket it claimed, and the request it was started with."""
    app, web_engine = make_application()
    options = AppOptions(
        demo=demo,
        web_engine=web_engine,
        start_problems=start_problems,
        start_minimized=start_minimized,
        instance=instance,
        first_request=first_request,
    )
    return run_app(lambda guard: RingDeskApp(options, guard).run(), app=app)


@dataclass(frozen=True)
class AppOptions:
    demo: bool = False
    #: QtWebEngine is installed and may be loaded for a web sign-in (see `prepare_qt`).
    web_engine: bool = True
    #: Default: `app_paths().settings_file`.
    settings_path: Path | None = None
    #: Default: the process environment (for `RINGDESK_*` overrides).
    environ: Mapping[str, str] | None = None
    #: The scenario the in-process simulator serves (default: the demo account).
    scenario: Scenario | None = None
    #: A keyring backend for the token store (tests use keyring's fail backend for "no keyring").
    keyring_backend: KeyringBackend | None = None
    #: Whether window sizes and positions are kept between runs.
    remember_windows: bool = True
    #: Where they are kept; default: `window-state.ini` next to the settings file.
    window_state_file: Path | None = None
    #: Seconds between call status polls (the platform's status budget still rules).
    call_poll_interval: float = DEFAULT_POLL_INTERVAL
    #: Sentences about what could not be set up before the window (a read-only folder, no log file).
    start_problems: tuple[str, ...] = ()
    #: `--minimized`: start in the tray this time, whatever the preference says.
    start_minimized: bool = False
    #: The single-instance socket the command line claimed; later starts hand their requests to it.
    instance: PrimaryInstance | None = None
    #: What RingDesk was started to do (`ringdesk dial ...`, a link); handled like a later start's.
    first_request: Request | None = None


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
        settings_path = options.settings_path or app_paths().settings_file
        self.keeper = SettingsKeeper.load(
            settings_path,
            environ=options.environ,
            demo_connection=demo_connection(options.web_engine) if options.demo else None,
        )
        self.history: CallHistory | None = None
        self._stop_history_problems: Callable[[], None] = lambda: None
        self.connector: Connector | None = None
        self.connection: Connection | None = None
        self._not_set_up: NotSetUp | None = None
        self.sign_in_vm: SignInViewModel | None = None
        self.signed_out_prompt: SignedOutPrompt | None = None
        self.dialogs = OpenDialogs()
        # One change of connection at a time: a second save waits for the first to finish.
        self._reconnect_lock = asyncio.Lock()
        self.account_loader = AccountLoader()
        self.phone_picker: PhonePickerDialog | None = None
        self._shown_phase: Phase | None = None
        #: The extension whose company directory is loaded or loading; None when none is.
        self._directory_of: str | None = None
        self._told_about_tray = False
        self._instance_server: InstanceServer | None = None
        self._build_main_window(settings_path)
        self._build_dialer()
        # Made when first shown, then only hidden when closed (it keeps its search).
        self.history_vm: HistoryViewModel | None = None
        self.history_window: HistoryWindow | None = None
        self._history_opening: asyncio.Task[None] | None = None
        self.main_window.history_requested.connect(self.show_history)
        self._build_tray()
        self._build_incoming()

    @property
    def settings(self) -> Settings:
        """The settings in use (the keeper owns them)."""
        return self.keeper.settings

    # ------------------------------------------------------------------ building the windows

    def _build_main_window(self, settings_path: Path) -> None:
        self.session_vm = SessionViewModel(starting=True)
        self.session_vm.sign_in_requested.connect(self.begin_sign_in)
        state_file = None
        if self.options.remember_windows:
            state_file = self.options.window_state_file or settings_path.with_name("window-state.ini")
        self.main_window = MainWindow(self.session_vm, state_file=state_file)
        self.main_window.quit_requested.connect(self.guard.request_quit)
        self.main_window.connection_settings_requested.connect(self.open_connection_settings)
        self.main_window.show_settings_problems(
            [*self.options.start_problems, *self.keeper.problems],
            files_unsaved=bool(self.options.start_problems),
        )

    def _build_dialer(self) -> None:
        # Owned by the window (deleted with it, by Qt): view models with timers must not be left
        # for Python's garbage collector to destroy at an arbitrary moment. The dialer is there
        # signed out too: history and redial work without a session.
        self.dialer_vm = DialerViewModel(preferences=self.settings.dialer, parent=self.main_window)
        self.picker_vm = PhonePickerViewModel(
            self._phones_now,
            self.settings.dialer,
            locked=self.keeper.locked_fields("dialer"),
            parent=self.main_window,
        )
        self.picker_vm.saved.connect(self._phone_chosen)
        self.dialer_vm.phone_picker_requested.connect(self.open_phone_picker)
        self.dialer = DialerWidget(self.dialer_vm)
        self.main_window.set_content(self.dialer)
        self.main_window.phone_picker_requested.connect(self.open_phone_picker)
        self.session_vm.changed.connect(self._session_changed)
        self._session_changed(self.session_vm.view)
        self.dialer_vm.call_vm.changed.connect(self._call_changed)

    def _build_tray(self) -> None:
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
        self.tray_vm.quit_requested.connect(self.guard.request_quit)
        self.main_window.on_screen_changed.connect(self.tray_vm.set_window_visible)
        self.main_window.hidden_to_tray.connect(self._hidden_to_tray)
        self.main_window.preferences_requested.connect(self.open_preferences)
        self.main_window.shortcuts_requested.connect(self.open_shortcuts)
        self.tray: TrayIcon | None = None
        self.notifier: DesktopNotifier | None = None
        if TrayIcon.available():
            self.tray = TrayIcon(self.tray_vm, parent=self.main_window)
        else:
            from ringdesk.ui.desktop_notifier import DesktopNotifier

            if DesktopNotifier.available():
                self.notifier = DesktopNotifier()
                self.tray_vm.notify.connect(self.notifier.notify)
        self.main_window.set_close_to_tray(self.tray is not None and self.settings.general.close_to_tray)

    def _build_incoming(self) -> None:
        # Links, `ringdesk dial`, `show` and `quit` from later starts (and macOS's open events).
        self.incoming = IncomingRequestsViewModel(
            self.dialer_vm,
            read_selection=_highlighted_text,
            window_shown=lambda: self.main_window.isVisible() and not self.main_window.isMinimized(),
            call_at_once=self.settings.general.call_links_at_once,
            parent=self.main_window,
        )
        self.incoming.show_requested.connect(self._offer_shown)
        self.incoming.quit_requested.connect(self.guard.request_quit)
        self.incoming.message.connect(lambda sentence: self.main_window.show_message(sentence, 10000))
        if self.tray is not None:
            self.incoming.notify.connect(self.tray.show_notification)
        elif self.notifier is not None:
            self.incoming.notify.connect(self.notifier.notify)
        qapp = QCoreApplication.instance()
        if isinstance(qapp, Application):
            qapp.set_link_handler(self.incoming.open_link)

    def _offer_shown(self, activation_token: str) -> None:
        if activation_token and QGuiApplication.platformName() == "wayland":
            # Qt's Wayland plugin activates a window with the token in this variable (and then
            # clears it); without it the compositor only marks the window as wanting attention.
            # X11's startup id cannot be handed to a running Qt app: there, focus-stealing
            # prevention decides.
            os.environ["XDG_ACTIVATION_TOKEN"] = activation_token
        self.main_window.show_and_raise()
        self.dialer.focus_call()

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
        minimized = self.settings.general.start_minimized or self.options.start_minimized
        shown = self.tray is None or not minimized
        first_frame = wait_signal(self.main_window.first_frame_painted) if shown else None
        if shown:
            self.main_window.show()
        self.dialer.setFocus()
        if first_frame is not None:
            # The window first: everything below loads or opens something, and a start is seen
            # as fast as its first frame. A window the desktop never draws does not hold it up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first_frame, FIRST_FRAME_WAIT)
        await self._serve_later_starts()
        await self._open_history()
        await self._watch_network()
        self.connector = Connector(
            history=self.history,
            demo=self.options.demo,
            scenario=self.options.scenario,
            keyring_backend=self.options.keyring_backend,
            poll_interval=self.options.call_poll_interval,
        )
        try:
            await self.connect(self.settings.connection)
        except Exception as error:
            # The window stays usable (settings, history); the person reads what went wrong.
            sentence = report(error, context="connecting at start", logger=log)
            self.main_window.show_message(sentence, 15000)
            self.session_vm.bind(None)
            return
        if self.guard.requested:
            return
        await self.startup_sign_in()

    async def _serve_later_starts(self) -> None:
        """Answer later starts from now on (they waited in the socket's queue), and take the
        request this start came with; both are handled once calling is possible."""
        instance = self.options.instance
        if instance is not None:
            self._instance_server = InstanceServer(instance, self.incoming.handle)
            try:
                await self._instance_server.start()
            except OSError as error:
                self._instance_server = None
                instance.close()
                sentence = report(error, context="listening for links", logger=log)
                self.main_window.show_message(f"Phone links cannot reach RingDesk: {sentence}", 15000)
        request = self.options.first_request
        if request is not None and request.action != "show":
            reply = await self.incoming.handle(request)
            log.info("the request RingDesk started with: %s", "taken" if reply.accepted else "refused")

    async def _watch_network(self) -> None:
        # The session notices sleep by itself (clock jumps); a network that comes back is the
        # other moment a due or failed refresh should be tried at once instead of on its timer.
        from PySide6.QtNetwork import QNetworkInformation

        # The module, its backend and what follows take turns of their own: each takes
        # milliseconds the first time, and the window must not wait for all of them at once.
        await asyncio.sleep(0)
        if QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
            info = QNetworkInformation.instance()
            if info is not None:
                info.reachabilityChanged.connect(self.network_reachability_changed)
        else:
            log.info("no network-reachability backend; refreshes follow their timer only")
        await asyncio.sleep(0)

    def network_reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        if reachability == QNetworkInformation.Reachability.Online and self.connection is not None:
            log.info("network is back; checking the sign-in now")
            self.connection.session.check_now()

    async def startup_sign_in(self) -> None:
        """Stored tokens that still work mean no question at all (see `Connection.sign_in_at_start`)."""
        connection = self.connection
        if connection is None:
            self.ask_to_sign_in(note=self._setup_note())
            return
        outcome = await connection.sign_in_at_start(
            ask_at_start=self.settings.general.ask_to_sign_in_at_start, demo=self.options.demo
        )
        if outcome is StartUpSignIn.OPEN_SIGN_IN:
            self.begin_sign_in()
        elif outcome is StartUpSignIn.ASK:
            self.ask_to_sign_in(problem=connection.start_up_problem)

    async def shutdown(self) -> None:
        """Close windows, stop tasks, then the connection, history and simulator; never raises."""
        log.info("shutting down")
        # First, so that a start from now on waits for this one to end and becomes the next.
        if self._instance_server is not None:
            await self._instance_server.aclose()
        elif self.options.instance is not None:
            self.options.instance.close()
        qapp = QCoreApplication.instance()
        if isinstance(qapp, Application):
            qapp.set_link_handler(None)
        self.dialogs.close_all()
        if self.sign_in_vm is not None:
            self.sign_in_vm.close()
        with contextlib.suppress(RuntimeError):
            self.main_window.hide()
        with contextlib.suppress(RuntimeError):
            if self.history_window is not None:
                self.history_window.close()
            if self.tray is not None:
                self.tray.hide()
        self.session_vm.close()
        self.dialer_vm.close()
        self.picker_vm.close()
        if self.history_vm is not None:
            self.history_vm.close()
        # Calls stop polling (and note in the history that RingDesk stopped following them)
        # before the tasks are cancelled, so no write is cut off half-way.
        if self.connection is not None:
            await self.connection.stop_calls()
        await cancel_spawned()
        await self.disconnect()
        await self._close_history()
        if self.connector is not None:
            await self.connector.aclose()
        with contextlib.suppress(RuntimeError):
            if self.history_window is not None:
                self.history_window.deleteLater()
            self.main_window.close()
            self.main_window.deleteLater()
        log.info("shut down")

    # ------------------------------------------------------------------ the connection

    async def connect(self, settings: ConnectionSettings) -> None:
        """Build the connection for `settings` and bind the window and the sign-in to it."""
        assert self.connector is not None
        # The sign-in windows' modules load first, in a turn of their own: building and binding
        # the connection below then takes no time the window would notice.
        importlib.import_module("ringdesk.ui.widgets.sign_in_presenter")
        built = await self.connector.connect(settings)
        if isinstance(built, NotSetUp):
            self._not_set_up = built
            self.session_vm.bind(None, connection=built.description)
            return
        self._not_set_up = None
        self.connection = built
        if built.notice:
            self.main_window.show_message(built.notice)
        self.session_vm.bind(built.session, connection=built.description)
        self.sign_in_vm = self._make_sign_in_vm(built)

    async def disconnect(self) -> None:
        self.dialer_vm.set_service(None)
        self.account_loader.forget()
        if self.sign_in_vm is not None:
            self.sign_in_vm.close()
            self.sign_in_vm.deleteLater()
            self.sign_in_vm = None
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.aclose()

    async def reconnect(self, settings: ConnectionSettings) -> None:
        """After the connection settings changed: a fresh connection for the new server and app.

        Saves in quick succession reconnect one after the other, never interleaved (an
        interleaved pair would leave the first new connection open and unbound).
        """
        async with self._reconnect_lock:
            self.session_vm.bind(None)
            await self.disconnect()
            try:
                await self.connect(settings)
            except Exception as error:
                sentence = report(error, context="connecting again", logger=log)
                self.main_window.show_message(sentence, 15000)
                return
            if self.connection is not None:
                try:
                    await self.connection.session.restore()
                except Exception as error:
                    report(error, context="restoring the sign-in", logger=log)

    def _make_sign_in_vm(self, connection: Connection) -> SignInViewModel:
        from ringdesk.ui.viewmodels.sign_in import SignInViewModel
        from ringdesk.ui.widgets.browser_wait_window import BrowserWaitWindow
        from ringdesk.ui.widgets.sign_in_presenter import SignInPresenter, embedded_window_factory

        settings = connection.settings
        window_factory = embedded_window_factory() if self.options.web_engine else None
        vm = SignInViewModel(
            connection.session,
            connection.platform,
            redirect_uri=settings.redirect_uri,
            login_method=settings.login_method,
            allow_password_grant=settings.allow_password_grant,
            embedded_available=window_factory is not None,
            store=connection.store,
        )
        # The sign-in windows follow the view model's views; its child, they go when it goes.
        SignInPresenter(vm, embedded_window=window_factory, wait_window=BrowserWaitWindow)
        vm.succeeded.connect(lambda _identity: self.main_window.show_message("Signed in."))
        vm.failed.connect(lambda sentence: self.main_window.show_message(sentence, 10000))
        vm.busy.connect(self._sign_in_busy)
        return vm

    def _sign_in_busy(self, busy: bool) -> None:
        # A new attempt replaces what the last one said ("You chose not to allow...", a wrong
        # password): the status bar never shows an answer to an attempt that is over. An attempt
        # that ends without an answer (closed, the settings changed) takes its line away.
        status = self.main_window.statusBar()
        if busy:
            status.showMessage(SIGNING_IN)
        elif status.currentMessage() == SIGNING_IN:
            status.clearMessage()

    # ------------------------------------------------------------------ history, phones and calls

    async def _open_history(self) -> None:
        try:
            self.history = await CallHistory.open(app_paths().history_db)
        except Exception as error:
            sentence = report(error, context="opening the call history", logger=log)
            self.main_window.show_message(f"The call history could not be opened: {sentence}", 15000)
            return
        self.main_window.show_history_problems(self.history.problems)
        # A disk that fills up (or frees up) mid-run is said as it happens, not at the next start.
        self._stop_history_problems = self.history.subscribe_problems(self.main_window.show_history_problems)
        self.dialer_vm.set_history(self.history)
        if self.history_vm is not None:
            self.history_vm.set_history(self.history)

    async def _close_history(self) -> None:
        history, self.history = self.history, None
        if history is None:
            return
        self._stop_history_problems()
        if self.history_vm is not None:
            self.history_vm.set_history(None)
        try:
            await history.close()
        except Exception as error:
            report(error, context="closing the call history", logger=log)

    def _session_changed(self, view: SessionView) -> None:
        # While RingDesk starts, the dialer waits as it waits for the connection ("Getting ready"),
        # not for a sign-in that may be restored a moment later.
        self.dialer_vm.set_signed_in(view.signed_in or view.starting)
        connection = self.connection
        if not view.signed_in or connection is None:
            self.dialer_vm.set_service(None)
            self.dialer_vm.set_company_extensions([])
            self.dialer_vm.set_directory(None)
            self._directory_of = None
            return
        self.dialer_vm.set_service(connection.calls)
        identity = connection.identity
        self.dialer_vm.set_company_extensions([identity.extension_number] if identity else [])
        if self.account_loader.should_load(connection.identity):
            spawn(self._load_account_after_sign_in(connection), name="load phones after sign-in")
        if identity is not None and self._directory_of != identity.extension_id:
            self._directory_of = identity.extension_id
            spawn(self._load_directory(connection), name="load the company directory")

    async def _phones_now(self) -> AccountPhones:
        """The operator's phones and caller IDs (the picker's refresh); `NotSignedIn` while signed out."""
        if self.connection is None:
            raise NotSignedIn()
        phones = await self.connection.account_phones()
        self.dialer_vm.set_home_region(phones.home_country)
        return phones

    async def _load_account_after_sign_in(self, connection: Connection) -> None:
        try:
            phones = await self.account_loader.load(connection)
        except Exception as error:
            sentence = report(error, context="loading your phones", logger=log)
            self.main_window.show_message(sentence, 10000)
            return
        self.dialer_vm.set_home_region(phones.home_country)
        self.picker_vm.set_phones(phones)
        if self.account_loader.offer_picker(self.dialer_vm.preferences.chosen):
            self.open_phone_picker()

    async def _load_directory(self, connection: Connection) -> None:
        """The company directory, for names in the preview; without it the dialer works as before."""
        try:
            directory = await CompanyDirectory.load(connection.platform)
        except Exception as error:
            report(error, context="loading the company directory", logger=log)
            self._directory_of = None
            return
        if connection is self.connection and self.session_vm.view.signed_in:
            self.dialer_vm.set_directory(directory)
            log.info("company directory loaded: %d entries", len(directory))

    def _call_changed(self, view: CallView) -> None:
        # The history lists the call from "In progress" to its outcome: reload on each new phase,
        # not on every tick of the running time.
        if view.phase is not self._shown_phase:
            self._shown_phase = view.phase
            if (
                self.history_vm is not None
                and self.history_window is not None
                and self.history_window.isVisible()
            ):
                self.history_vm.refresh()

    # ------------------------------------------------------------------ intents from the windows

    def show_history(self) -> None:
        """The history window in front; made the first time, in turns of its own."""
        if self.history_window is not None:
            _bring_forward(self.history_window)
        elif self._history_opening is None:
            self._history_opening = spawn(self._open_history_window(), name="open the history window")

    async def _open_history_window(self) -> None:
        # Loading its modules, building it and showing it take tens of milliseconds together the
        # first time; one turn each, so the window in front is never held for all of them.
        try:
            importlib.import_module("ringdesk.ui.widgets.history_window")
            await asyncio.sleep(0)
            window = self._build_history_window()
            await asyncio.sleep(0)
            _bring_forward(window)
        finally:
            self._history_opening = None

    def _build_history_window(self) -> HistoryWindow:
        from ringdesk.ui.viewmodels.history import HistoryViewModel
        from ringdesk.ui.widgets.history_window import HistoryWindow

        # Loaded when the window shows (and at every showing).
        self.history_vm = HistoryViewModel(
            self.history, error_sentence=_error_sentence, parent=self.main_window
        )
        self.history_vm.redial_requested.connect(self.redial)
        self.history_window = HistoryWindow(self.history_vm)
        return self.history_window

    def redial(self, number: str) -> None:
        """Call back from the history (or the tray): the number goes into the dialer, which calls it
        when calling is possible now and otherwise shows why not."""
        self.main_window.show_and_raise()
        self.dialer_vm.redial(number)

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
        from ringdesk.desktop.integration import (
            DIAL_SELECTION_ARGUMENTS,
            integration_for_this_system,
            launch_command,
        )
        from ringdesk.ui.viewmodels.preferences import PreferencesViewModel
        from ringdesk.ui.widgets.preferences import PreferencesDialog

        command = launch_command()
        vm = PreferencesViewModel(
            self.settings.general,
            save=self._save_general,
            tray_available=self.tray is not None,
            desktop=integration_for_this_system(command),
            dial_command=shlex.join([*command, *DIAL_SELECTION_ARGUMENTS]),
            locked=self.keeper.locked_fields("general"),
        )
        dialog = PreferencesDialog(vm, self.main_window)
        vm.setParent(dialog)
        self.dialogs.show(dialog)

    def open_shortcuts(self) -> None:
        from ringdesk.ui.widgets.dialer import DIALER_KEYS
        from ringdesk.ui.widgets.shortcuts import ShortcutsDialog

        shortcuts = [*DIALER_KEYS, *self.main_window.menu_shortcuts()]
        self.dialogs.show(ShortcutsDialog(shortcuts, self.main_window))

    def _save_general(self, general: GeneralSettings) -> None:
        # The dialog says so itself when the file cannot be written.
        self.keeper.save_general(general)
        self.tray_vm.set_general(general)
        self.incoming.set_call_at_once(general.call_links_at_once)
        self.main_window.set_close_to_tray(self.tray is not None and general.close_to_tray)

    def _phone_chosen(self, choice: DialerSettings) -> None:
        self._save_quietly(lambda: self.keeper.save_dialer(choice))
        # What the keeper made of it: the administrator's locked fields stay as they were set.
        self.dialer_vm.set_preferences(self.keeper.settings.dialer)

    def open_phone_picker(self) -> None:
        """The gear: choose the phone, caller ID, press 1 and default country."""
        if self.phone_picker is not None:
            with contextlib.suppress(RuntimeError):
                self.phone_picker.raise_()
                self.phone_picker.activateWindow()
                return
        from ringdesk.ui.widgets.phone_picker import PhonePickerDialog

        dialog = PhonePickerDialog(self.picker_vm, parent=self.main_window)
        self.phone_picker = dialog

        def closed(_result: int) -> None:
            self.phone_picker = None

        dialog.finished.connect(closed)
        self.dialogs.show(dialog)
        if not self.picker_vm.view.phones and self.session_vm.view.signed_in:
            self.picker_vm.refresh()

    def begin_sign_in(self) -> None:
        """Sign in..., "Get credentials" or "Sign in again": the configured sign-in flow."""
        if self.sign_in_vm is None:
            self.main_window.show_message("Set up the connection first.", 8000)
            self.open_connection_settings()
            return
        if self.settings.connection.login_method in (LoginMethod.JWT, LoginMethod.PASSWORD):
            from ringdesk.ui.widgets.unattended_sign_in import UnattendedSignInDialog

            self.dialogs.show(UnattendedSignInDialog(self.sign_in_vm, parent=self.main_window))
            return
        self.sign_in_vm.start()

    def ask_to_sign_in(self, *, problem: str | None = None, note: str | None = None) -> None:
        from ringdesk.ui.widgets.signed_out_prompt import SignedOutPrompt

        kind = self.settings.connection.server
        label = "RingCentral" if kind in (ServerKind.RINGCENTRAL, ServerKind.PARTNER) else SERVER_LABELS[kind]
        prompt = SignedOutPrompt(
            server_label=label,
            problem=problem,
            note=note,
            ask_at_start=self.settings.general.ask_to_sign_in_at_start,
            ask_at_start_locked="ask_to_sign_in_at_start" in self.keeper.locked_fields("general"),
            parent=self.main_window,
        )
        self.signed_out_prompt = prompt

        def answered(sign_in_now: bool) -> None:
            if prompt.ask_at_start != self.settings.general.ask_to_sign_in_at_start:
                general = replace(self.settings.general, ask_to_sign_in_at_start=prompt.ask_at_start)
                self._save_quietly(lambda: self.keeper.save_general(general))
            if sign_in_now:
                self.begin_sign_in()

        prompt.answered.connect(answered)
        self.dialogs.show(prompt)

    def open_connection_settings(self) -> None:
        from ringdesk.ui.viewmodels.connection import ConnectionViewModel
        from ringdesk.ui.widgets.connection_settings import ConnectionSettingsDialog

        vm = ConnectionViewModel(
            self.settings.connection,
            save=self._save_connection,
            store_for=self._store_for,
            embedded_available=self.options.web_engine,
            locked=self.keeper.locked_fields("connection"),
        )
        dialog = ConnectionSettingsDialog(vm, parent=self.main_window)
        vm.setParent(dialog)
        self.dialogs.show(dialog)

    async def _save_connection(self, connection: ConnectionSettings) -> None:
        before = self.settings.connection
        # The dialog says so itself when the file cannot be written.
        self.keeper.save_connection(connection)
        if connection != before and self.connector is None:
            # Saved while starting, before the first connection: the start connects with these.
            self.main_window.show_message("Connection settings saved.")
        elif connection != before:
            self.main_window.show_message("Connection settings saved; connecting again.")
            spawn(self.reconnect(connection), name="reconnect after settings change")

    def _store_for(self, settings: ConnectionSettings) -> TokenStore | None:
        """The token store the settings dialog keeps a client secret in; None until the address is known."""
        if self.connector is None:
            return None
        return self.connector.secret_store(settings, live=self.connection)

    # ------------------------------------------------------------------ helpers

    def _setup_note(self) -> str:
        problems = self._not_set_up.problems if self._not_set_up is not None else ()
        first = problems[0] if problems else "The connection is not set up yet."
        return f'Set up the connection first: {first} "Sign in now" opens the connection settings.'

    def _save_quietly(self, save: Callable[[], None]) -> None:
        """Save where no dialog is open to show the trouble: a status line says it instead."""
        try:
            save()
        except OSError as error:
            log.warning("could not save settings: %s", error)
            reason = error.strerror or str(error)
            self.main_window.show_message(f"RingDesk could not save your settings: {reason}.")


def _bring_forward(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()


def _error_sentence(platform: str, error_code: str) -> str | None:
    # Asked for a failed call stored without a sentence (rare). The registry loads the platforms'
    # HTTP libraries; by the time the history is read, the worker that connects has loaded them.
    from ringdesk.platforms.registry import error_sentence

    return error_sentence(platform, error_code)


def _highlighted_text() -> str:
    """The highlighted text (X11's PRIMARY selection), or the clipboard where there is no such thing
    (Windows, macOS, some Wayland compositors)."""
    clipboard = QGuiApplication.clipboard()
    # Where there is a selection, an empty one means nothing is highlighted: the clipboard may hold
    # something copied long ago, which is not what the person pointed at.
    mode = QClipboard.Mode.Selection if clipboard.supportsSelection() else QClipboard.Mode.Clipboard
    return clipboard.text(mode)
