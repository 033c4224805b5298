"""Render every screen RingDesk has, in each state, to PNG files, so a person can look at them.

    scripts/screenshots [OUTDIR]      (default: artifacts/screenshots)

Windows are built with their real view models put into each state; the sign-in window loads the
built-in simulator's real sign-in page. Needs a screen (scripts/screenshots provides Xvfb).

Every screen's text and check boxes are measured against WCAG AA contrast as rendered
(`tests.contrast`), and its margins, gaps and text sizes are checked against the spacing grid and
the type scale (`tests.design`); the command lists what falls short and exits with status 1 if
anything does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

if os.name == "posix" and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import PySide6.QtWebEngineWidgets  # noqa: F401  (must be loaded before the QApplication exists)
from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ringdesk.auth.pkce import matches_redirect, new_attempt
from ringdesk.auth.session import SessionState, SessionStatus
from ringdesk.calls.state import CallState, next_state, placing_state, unknown_outcome_state
from ringdesk.config import (
    ConnectionInfo,
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    LoginMethod,
    ServerKind,
)
from ringdesk.desktop.integration import LinkHandlers
from ringdesk.numbers import format_for_display
from ringdesk.platforms.base import AccountPhones, CallerId, DefaultCallerId, Identity, Phone
from ringdesk.platforms.registry import error_sentence
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.platforms.ringcentral.progress import progress_from_ringout
from ringdesk.qtasync import GuiThreadGarbageCollector
from ringdesk.simulator import Scenario, Simulator
from ringdesk.storage.history import INTERRUPTED_OUTCOME, CallHistory
from ringdesk.ui.viewmodels.connection import ConnectionViewModel
from ringdesk.ui.viewmodels.dialer import DialerViewModel, RecentNumber
from ringdesk.ui.viewmodels.history import HistoryViewModel
from ringdesk.ui.viewmodels.phone_picker import PhonePickerViewModel
from ringdesk.ui.viewmodels.preferences import PreferencesViewModel
from ringdesk.ui.viewmodels.session import SessionViewModel
from ringdesk.ui.viewmodels.sign_in import STATE_MISMATCH, SignInViewModel
from ringdesk.ui.viewmodels.tray import TrayViewModel
from ringdesk.ui.widgets.browser_wait_window import BrowserWaitWindow
from ringdesk.ui.widgets.connection_settings import ConnectionSettingsDialog
from ringdesk.ui.widgets.dialer import DIALER_KEYS, DialerWidget
from ringdesk.ui.widgets.history_window import HistoryWindow
from ringdesk.ui.widgets.main_window import MainWindow
from ringdesk.ui.widgets.phone_picker import PhonePickerDialog
from ringdesk.ui.widgets.preferences import PreferencesDialog
from ringdesk.ui.widgets.shortcuts import ShortcutsDialog
from ringdesk.ui.widgets.sign_in_window import SignInWindow
from ringdesk.ui.widgets.signed_out_prompt import SignedOutPrompt
from ringdesk.ui.widgets.style import apply_style
from ringdesk.ui.widgets.tray import TrayIcon
from ringdesk.ui.widgets.unattended_sign_in import UnattendedSignInDialog
from tests.contrast import contrast_problems
from tests.design import design_problems

REDIRECT_URI = "http://127.0.0.1:53682/oauth/callback"
DANA = Identity(
    account_id="400131005008", extension_id="400131005009", extension_number="101", name="Dana Operator"
)
EXPIRED = "Your sign-in has expired. Sign in again."


class ShotTaker:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.taken: list[Path] = []
        #: (screen, what is too faint on it), for every screen taken.
        self.contrast: list[tuple[str, str]] = []
        #: (screen, what is off the spacing grid or the type scale on it).
        self.design: list[tuple[str, str]] = []

    def settle(self, ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shoot(self, widget: QWidget, name: str, ms: int = 300) -> None:
        widget.show()
        self.settle(ms)
        path = self.out_dir / f"{name}.png"
        picture = widget.grab()
        picture.save(str(path))
        self.taken.append(path)
        screen = f"{self.out_dir.name}/{name}"
        self.contrast += [(screen, str(problem)) for problem in contrast_problems(widget, picture.toImage())]
        self.design += [(screen, str(problem)) for problem in design_problems(widget)]


class _PreviewSecretStore:
    """Stands in for the keyring in the settings dialog: screenshots must not touch real secrets."""

    backend_name = "Secret Service"
    persistent = True
    unavailable_reason = None

    async def load_secret(self, name: str) -> str | None:
        return None

    async def save_secret(self, name: str, value: str) -> None:
        return None

    async def delete_secret(self, name: str) -> None:
        return None


def _no_tasks(coro: object, *, name: str) -> None:
    # Screens are rendered without an event loop for coroutines; nothing may run in the background.
    coro.close()  # type: ignore[attr-defined]


def main_window_states(shots: ShotTaker) -> None:
    connection = ConnectionInfo(
        server_label="RingCentral",
        server_url="https://platform.ringcentral.com",
        login_method_label="Embedded browser",
        secret_storage="Secret Service",
    )
    states: list[tuple[str, SessionStatus, ConnectionInfo]] = [
        ("main-window-signed-in", SessionStatus(SessionState.SIGNED_IN, DANA, None, True), connection),
        ("main-window-signing-in", SessionStatus(SessionState.SIGNING_IN, None, None, True), connection),
        ("main-window-signed-out", SessionStatus(SessionState.SIGNED_OUT, None, None, True), connection),
        (
            "main-window-sign-in-expired",
            SessionStatus(SessionState.SIGNED_OUT, None, EXPIRED, True),
            connection,
        ),
        (
            "main-window-memory-only",
            SessionStatus(SessionState.SIGNED_IN, DANA, None, False),
            ConnectionInfo("RingCentral", "https://platform.ringcentral.com", "Embedded browser", None),
        ),
    ]
    keep: list[QWidget] = []
    for name, status, info in states:
        view_model = SessionViewModel(None, connection=info)
        view_model.show_status(status)
        window = MainWindow(view_model)
        dialer = _dialer(signed_in=status.state is SessionState.SIGNED_IN)
        window.set_content(DialerWidget(dialer))
        keep.append(window)
        shots.shoot(window, name)
        window.close()
    # Before the connection is made: no stored sign-in looked for yet.
    window = MainWindow(SessionViewModel(None, connection=connection, starting=True))
    # As in the app: the dialer waits as for its connection ("Getting ready").
    starting = _dialer(signed_in=True)
    starting.set_service(None)
    window.set_content(DialerWidget(starting))
    keep.append(window)
    shots.shoot(window, "main-window-starting")
    window.close()
    view_model = SessionViewModel(None, connection=connection)
    view_model.show_status(SessionStatus(SessionState.SIGNED_IN, DANA, None, True))
    window = MainWindow(view_model)
    window.set_content(DialerWidget(_dialer(signed_in=True)))
    window.show_history_problems(
        [
            "RingDesk cannot save to its call history in /home/dana/.local/share/ringdesk (the disk is "
            "full); it keeps the calls made now in memory and saves them as soon as it can."
        ]
    )
    keep.append(window)
    shots.shoot(window, "main-window-history-trouble")
    window.close()

    shortcuts = ShortcutsDialog([*DIALER_KEYS, *window.menu_shortcuts()])
    shots.shoot(shortcuts, "keyboard-shortcuts")
    shortcuts.close()


def signed_out_prompts(shots: ShotTaker) -> None:
    for name, problem in (("signed-out-prompt", None), ("signed-out-prompt-expired", EXPIRED)):
        prompt = SignedOutPrompt(server_label="RingCentral", problem=problem)
        shots.shoot(prompt, name)
        prompt.close()


def sign_in_windows(shots: ShotTaker) -> None:
    with Simulator(Scenario.default()) as sim:
        client = PlatformClient(sim.base_url, "ringdesk-demo")
        attempt = new_attempt(REDIRECT_URI)
        window = SignInWindow(lambda url: matches_redirect(url, REDIRECT_URI))
        window.show()
        window.load(client.authorize_url(REDIRECT_URI, attempt.state, attempt.code_challenge))
        shots.shoot(window, "sign-in-window", ms=3000)
        window.show_problem("You chose not to allow RingDesk to sign in.")
        shots.shoot(window, "sign-in-window-denied")
        window.load("http://127.0.0.1:59998/restapi/oauth/authorize")
        shots.shoot(window, "sign-in-window-no-network", ms=2500)
        window.finish()

    waiting = BrowserWaitWindow()
    shots.shoot(waiting, "waiting-for-browser")
    waiting.show_problem(STATE_MISMATCH)
    shots.shoot(waiting, "waiting-for-browser-problem")
    waiting.finish()

    for name, allow_password in (("jwt-sign-in", False), ("jwt-and-password-sign-in", True)):
        view_model = SignInViewModel(
            object(),
            RingCentralPlatform(PlatformClient("https://platform.ringcentral.com", "preview")),
            redirect_uri=REDIRECT_URI,
            store=_PreviewSecretStore(),
            spawn=_no_tasks,
            allow_password_grant=allow_password,
        )
        dialog = UnattendedSignInDialog(view_model)
        shots.shoot(dialog, name)
        if not allow_password:
            view_model.failed.emit(
                "The JWT credential was not accepted; it may have expired or been revoked."
            )
            shots.shoot(dialog, "jwt-sign-in-refused")
        dialog.close()


def connection_settings(shots: ShotTaker) -> None:
    cases: list[tuple[str, ConnectionSettings]] = [
        ("connection-settings", ConnectionSettings(server=ServerKind.RINGCENTRAL, client_id="AbCdEf123456")),
        (
            "connection-settings-invalid",
            ConnectionSettings(
                server=ServerKind.CUSTOM,
                custom_server_url="http://platform.example.com",
                client_id="",
                login_method=LoginMethod.SYSTEM_BROWSER,
                redirect_uri="https://example.com/callback",
                use_client_secret=True,
            ),
        ),
    ]
    for name, settings in cases:
        view_model = ConnectionViewModel(
            settings, save=lambda s: None, store_for=lambda c: _PreviewSecretStore(), spawn=_no_tasks
        )
        dialog = ConnectionSettingsDialog(view_model)
        shots.shoot(dialog, name)
        if name == "connection-settings":
            dialog.advanced_toggle.click()
            shots.shoot(dialog, "connection-settings-advanced")
        dialog.close()
    # An administrator's defaults file locked the server and the app.
    view_model = ConnectionViewModel(
        ConnectionSettings(
            server=ServerKind.CUSTOM, custom_server_url="https://platform.example.com", client_id="corp-app"
        ),
        save=lambda s: None,
        store_for=lambda c: _PreviewSecretStore(),
        locked=frozenset({"server", "custom_server_url", "client_id"}),
        spawn=_no_tasks,
    )
    dialog = ConnectionSettingsDialog(view_model)
    shots.shoot(dialog, "connection-settings-locked")
    dialog.close()


MOBILE = DialerSettings(forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile")
DESTINATION = "+1 650-555-1234, United States"
YOUR_PHONE = "Mobile, +1 650-555-0122"


class _Budget:
    """Stands in for the RingOut service where only the Heavy countdown matters."""

    def __init__(self, wait: float = 0.0) -> None:
        self.wait = wait

    def next_call_possible_in(self) -> float:
        return self.wait


def _dialer(
    text: str = "", *, signed_in: bool = True, wait: float = 0.0, prefs: DialerSettings = MOBILE
) -> DialerViewModel:
    view_model = DialerViewModel(
        preferences=prefs, service=_Budget(wait), signed_in=signed_in, spawn=_no_tasks
    )
    view_model.show_recent(
        [
            RecentNumber("+14155550188", "+1 415-555-0188", "Ended · 00:42 · 2 min ago"),
            RecentNumber("+442079460000", "+44 20 7946 0000", "Failed · 1 h ago"),
        ]
    )
    view_model.set_text(text)
    return view_model


def _offered(number: str, *, signed_in: bool = True, call_after: float = 0) -> DialerViewModel:
    """The dialer after a link: the number offered, and its countdown when it is called at once."""
    view_model = _dialer(signed_in=signed_in)
    view_model.offer(number, call_after=call_after)
    return view_model


def _dialer_window(view_model: DialerViewModel, signed_in: bool = True) -> MainWindow:
    session = SessionViewModel(
        None, connection=ConnectionInfo("Built-in simulator", "http://127.0.0.1", "Sign-in window")
    )
    state = SessionState.SIGNED_IN if signed_in else SessionState.SIGNED_OUT
    session.show_status(SessionStatus(state, DANA if signed_in else None, None, True))
    window = MainWindow(session, state_file=None)
    window.set_content(DialerWidget(view_model))
    return window


def _call(statuses: tuple[str, str, str] | None, *, prompt: bool = False, control: bool = True) -> CallState:
    state = placing_state("+1 650-555-1234")
    if statuses is None:
        return state
    started = time.time() - 83  # so "Connected" shows a running time
    progress = progress_from_ringout(RingOutStatus("1", *statuses))
    return next_state(state, progress, play_prompt=prompt, now=started, call_control=control)


def dialer_states(shots: ShotTaker) -> None:
    keep: list[QWidget] = []  # windows own their view models' timers; keep both alive until the end
    for name, view_model, signed_in in (
        ("dialer-signed-out", _dialer(signed_in=False), False),
        ("dialer-empty", _dialer(), True),
        ("dialer-preview", _dialer("(650) 555-1234 ext. 12"), True),
        ("dialer-invalid-number", _dialer("650 555"), True),
        ("dialer-rate-limit-countdown", _dialer("+1 650 555 1234", wait=42), True),
        ("dialer-no-phone-chosen", _dialer("6505551234", prefs=DialerSettings()), True),
        ("dialer-link-before-sign-in", _offered("+16505551234", signed_in=False), False),
        ("dialer-link-countdown", _offered("+16505551234", call_after=3), True),
    ):
        window = _dialer_window(view_model, signed_in)
        keep.append(window)
        shots.shoot(window, name)
        window.close()
    window = _dialer_window(_dialer("+1 650 555 1234"))
    keep.append(window)
    window.show_message(
        "That link is for alice, not a phone number; RingDesk can call phone numbers only.", 60000
    )
    shots.shoot(window, "dialer-link-refused")
    window.close()

    connected = _call(("Success", "Success", "Success"))
    calls: dict[str, CallState] = {
        "call-placing": _call(None),
        "call-calling-you": _call(("InProgress", "InProgress", "InProgress")),
        "call-waiting-for-press-1": _call(("InProgress", "Success", "InProgress"), prompt=True),
        "call-calling-destination": _call(("InProgress", "Success", "InProgress")),
        "call-connected": connected,
        "call-connected-without-call-control": _call(("Success", "Success", "Success"), control=False),
        "call-failed-busy": _call(("CannotReach", "Success", "Busy")),
        "call-failed-your-phone-no-answer": _call(("CannotReach", "NoAnswer", "InProgress")),
        "call-failed-international-disabled": _call(("CannotReach", "Success", "InternationalDisabled")),
        "call-failed-unknown-status": _call(("CannotReach", "Success", "SomeNewStatus")),
        "call-outcome-unknown": unknown_outcome_state(
            _call(("InProgress", "InProgress", "InProgress")), now=time.time(), call_control=True
        ),
        "call-ended": next_state(
            connected,
            progress_from_ringout(RingOutStatus("1", "Finished", "Finished", "Finished")),
            play_prompt=False,
            now=time.time(),
            call_control=True,
        ),
    }
    for name, state in calls.items():
        view_model = _dialer("+1 650 555 1234")
        # International calling disabled is a failure of calls abroad: shown for one.
        abroad = name == "call-failed-international-disabled"
        destination = "+44 20 7946 0000, United Kingdom" if abroad else DESTINATION
        view_model.call_vm.show_state(state, destination=destination, your_phone=YOUR_PHONE)
        window = _dialer_window(view_model)
        keep.append(window)
        shots.shoot(window, name)
        window.close()
    view_model = _dialer()
    view_model.call_vm.begin(DESTINATION, your_phone=YOUR_PHONE)
    view_model.call_vm.show_failure("Cannot reach the phone service, so the call was not placed.")
    window = _dialer_window(view_model)
    keep.append(window)
    shots.shoot(window, "call-not-placed-server-unreachable")
    window.close()

    phones = AccountPhones(
        "US",
        (
            Phone("733151008", "+16505550111", "Desk phone", "desk"),
            Phone("733152008", "+16505550122", "Mobile", "mobile"),
            Phone("733154008", "+16505550144", "Front desk", None),
            Phone(None, "+16505550155", "Other phone", "other"),
        ),
        (
            CallerId("+16505550100", usage="main company number"),
            CallerId("+16505550101", usage="direct number"),
        ),
        DefaultCallerId(number="+16505550101"),
    )
    picker = PhonePickerDialog(PhonePickerViewModel(None, MOBILE, phones=phones, spawn=_no_tasks))
    keep.append(picker)
    shots.shoot(picker, "phone-picker")
    picker.close()


def history_window(shots: ShotTaker) -> None:
    """The history with calls of every kind, then a search that matches nothing, then empty."""
    loop = asyncio.new_event_loop()

    def run_now(coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        # No loop runs while screens are rendered: the history's work is done on the spot.
        loop.run_until_complete(coro)

    with tempfile.TemporaryDirectory() as folder:
        history = loop.run_until_complete(CallHistory.open(Path(folder) / "history.sqlite3"))
        loop.run_until_complete(_fill_history(history))
        view_model = HistoryViewModel(history, spawn=run_now, error_sentence=error_sentence)
        window = HistoryWindow(view_model)
        window.resize(640, 480)
        shots.shoot(window, "history")
        window.table.selectRow(1)
        shots.shoot(window, "history-selected")
        window.search.setText("Zurich")  # as typed: the search box shows what matched nothing
        view_model.refresh()
        shots.shoot(window, "history-no-match")
        window.close()
        loop.run_until_complete(history.close())
        empty = loop.run_until_complete(CallHistory.open(Path(folder) / "empty.sqlite3"))
        empty_window = HistoryWindow(HistoryViewModel(empty, spawn=run_now))
        empty_window.resize(640, 480)
        shots.shoot(empty_window, "history-empty")
        empty_window.close()
        loop.run_until_complete(empty.close())
    loop.close()


async def _fill_history(history: CallHistory) -> None:
    now = time.time()
    calls: list[tuple[float, str, str | None, dict[str, Any]]] = [
        (
            now - 26 * 3600,
            "+442079460000",
            None,
            {
                "state": "failed",
                "outcome": "International calling is disabled on your extension.",
                "error_code": "InternationalDisabled",
            },
        ),
        (
            now - 5 * 3600,
            "+16505550177",
            "12",
            {
                "state": "ended",
                "connected_at": now - 5 * 3600 + 9,
                "ended_at": now - 5 * 3600 + 142,
                "outcome": "The call ended.",
            },
        ),
        (
            now - 3 * 3600,
            "+14155550188",
            None,
            {"state": "failed", "outcome": "The number you called was busy.", "callee_status": "Busy"},
        ),
        (now - 2 * 3600, "+14155550188", None, {"state": "cancelled", "outcome": "You cancelled the call."}),
        (now - 3600, "+16505551234", None, {"state": "interrupted", "outcome": INTERRUPTED_OUTCOME}),
        (now - 60, "+16505551234", None, {"state": "connected", "connected_at": now - 45}),
    ]
    for started, destination, extension, fields in calls:
        record_id = await history.record_attempt(
            platform="ringcentral",
            destination=destination,
            destination_display=format_for_display(destination),
            extension=extension,
            from_number="+16505550122",
            from_label="Mobile",
            caller_id=None,
            play_prompt=False,
            started_at=started,
        )
        await history.update(record_id, **fields)


def tray_and_preferences(shots: ShotTaker) -> None:
    """The tray menu (with a number on the clipboard and recent numbers) and the Preferences dialog."""
    keep: list[QObject] = []
    session = SessionViewModel(None, connection=ConnectionInfo("Built-in simulator", "", "Sign-in window"))
    session.show_status(SessionStatus(SessionState.SIGNED_IN, DANA, None, True))
    dialer = _dialer()
    tray_vm = TrayViewModel(session, dialer, GeneralSettings(), clipboard_text=lambda: "(650) 555-1234")
    tray = TrayIcon(tray_vm)
    keep += [session, dialer, tray_vm, tray]
    tray.menu.aboutToShow.emit()
    shots.shoot(tray.menu, "tray-menu")
    tray.menu.hide()
    tray.recent_menu.aboutToShow.emit()
    shots.shoot(tray.recent_menu, "tray-menu-recent")
    tray.recent_menu.hide()
    loop = asyncio.new_event_loop()

    def run_now(coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        loop.run_until_complete(coro)

    desktops = (
        ("preferences", True, _Desktop(links="GNOME Calls", shortcut_desktop="GNOME")),
        ("preferences-no-tray", False, _Desktop(links="No app")),
        ("preferences-links-set-up", True, _Desktop(links="RingDesk", autostart=True, keys="Super+Shift+D")),
    )
    for name, tray_available, desktop in desktops:
        view_model = PreferencesViewModel(
            GeneralSettings(),
            save=lambda _g: None,
            tray_available=tray_available,
            desktop=desktop,
            dial_command="/usr/bin/ringdesk dial --selection",
            spawn=run_now,
        )
        dialog = PreferencesDialog(view_model)
        keep += [view_model, dialog]
        shots.shoot(dialog, name)
        dialog.close()
    loop.close()


class _Desktop:
    """A desktop's answers as the Preferences dialog shows them (the real ones depend on the machine)."""

    def __init__(
        self,
        *,
        links: str,
        autostart: bool = False,
        shortcut_desktop: str | None = None,
        keys: str | None = None,
    ) -> None:
        self._links = LinkHandlers(ours=links == "RingDesk", current=links)
        self._autostart = autostart
        self._shortcut_desktop = shortcut_desktop
        self._keys = keys

    def link_handlers(self) -> LinkHandlers:
        return self._links

    def make_default_for_links(self) -> None: ...

    def autostart_enabled(self) -> bool:
        return self._autostart

    def set_autostart(self, enabled: bool) -> None: ...

    def shortcut_desktop(self) -> str | None:
        return self._shortcut_desktop

    def dial_shortcut(self) -> str | None:
        return self._keys

    def add_dial_shortcut(self, keys: str = "Super+Shift+D") -> None: ...


SCREENS: tuple[Callable[[ShotTaker], None], ...] = (
    main_window_states,
    dialer_states,
    signed_out_prompts,
    sign_in_windows,
    connection_settings,
    history_window,
    tray_and_preferences,
)


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2d31"),
        (roles.WindowText, "#e6e6e6"),
        (roles.Base, "#1f2023"),
        (roles.AlternateBase, "#2b2d31"),
        (roles.ToolTipBase, "#3a3d42"),
        (roles.ToolTipText, "#e6e6e6"),
        (roles.Text, "#e6e6e6"),
        (roles.PlaceholderText, "#8a8f98"),
        (roles.Button, "#34373c"),
        (roles.ButtonText, "#e6e6e6"),
        (roles.BrightText, "#ff6b6b"),
        (roles.Highlight, "#3d7bd9"),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, "#7fb0ff"),
        (roles.Mid, "#45484e"),
        (roles.Dark, "#1a1b1e"),
        (roles.Light, "#4a4d53"),
    ):
        palette.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d828a"))
    return palette


def main(argv: list[str]) -> int:
    """Every screen in the light palette (OUTDIR/light) and the dark one (OUTDIR/dark)."""
    out_dir = Path(argv[1] if len(argv) > 1 else "artifacts/screenshots")
    app = QApplication(argv[:1])
    app.setQuitOnLastWindowClosed(False)
    # As in the app: Python's cycle collector runs on this thread only. The history's worker runs
    # Python too, and a collection there freed a closed sign-in window's web view off the GUI
    # thread ("Cannot make QOpenGLContext current in a different thread", then an abort).
    collector = GuiThreadGarbageCollector(parent=app)
    collector.start()
    taken: list[Path] = []
    faint: list[tuple[str, str]] = []
    off_grid: list[tuple[str, str]] = []
    for palette, folder in ((app.palette(), "light"), (dark_palette(), "dark")):
        # The palette a desktop in dark mode hands to Fusion (Xvfb has no desktop to ask).
        app.setPalette(palette)
        apply_style(app)
        shots = ShotTaker(out_dir / folder)
        shots.out_dir.mkdir(parents=True, exist_ok=True)
        for render in SCREENS:
            render(shots)
        taken += shots.taken
        faint += shots.contrast
        off_grid += shots.design
    for path in taken:
        print(path)
    for screen, problem in faint:
        print(f"contrast too low on {screen}: {problem}", file=sys.stderr)
    for screen, problem in off_grid:
        print(f"off the grid or the type scale on {screen}: {problem}", file=sys.stderr)
    verdicts = (_verdict("WCAG AA contrast", faint), _verdict("the grid and type scale", off_grid))
    print(f"{len(taken)} screens; " + "; ".join(verdicts))
    return 1 if faint or off_grid else 0


def _verdict(check: str, problems: list[tuple[str, str]]) -> str:
    failing = len({screen for screen, _problem in problems})
    return f"{check} fails on {failing} of them" if failing else f"{check} passes on all of them"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
