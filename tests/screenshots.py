"""Render every screen RingDesk has, in each state, to PNG files, so a person can look at them.

    scripts/screenshots [OUTDIR]      (default: artifacts/screenshots)

Windows are built with their real view models put into each state; the sign-in window loads the
built-in simulator's real sign-in page. Needs a screen (scripts/screenshots provides Xvfb).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

if os.name == "posix" and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import PySide6.QtWebEngineWidgets  # noqa: F401  (must be loaded before the QApplication exists)
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ringdesk.api import PlatformClient
from ringdesk.auth.pkce import matches_redirect, new_attempt
from ringdesk.auth.session import Identity, SessionState, SessionStatus
from ringdesk.config import ConnectionSettings, LoginMethod, ServerKind
from ringdesk.simulator import Scenario, Simulator
from ringdesk.ui.connection_settings import ConnectionSettingsDialog
from ringdesk.ui.main_window import MainWindow
from ringdesk.ui.sign_in_window import BrowserWaitWindow, SignInWindow, UnattendedSignInDialog
from ringdesk.ui.signed_out_prompt import SignedOutPrompt
from ringdesk.ui.viewmodels.connection import ConnectionViewModel
from ringdesk.ui.viewmodels.session import ConnectionInfo, SessionViewModel
from ringdesk.ui.viewmodels.sign_in import SignInViewModel

REDIRECT_URI = "http://127.0.0.1:53682/oauth/callback"
DANA = Identity(
    account_id="400131005008", extension_id="400131005009", extension_number="101", name="Dana Operator"
)
EXPIRED = "Your sign-in has expired. Sign in again."


class ShotTaker:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.taken: list[Path] = []

    def settle(self, ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shoot(self, widget: QWidget, name: str, ms: int = 300) -> None:
        widget.show()
        self.settle(ms)
        path = self.out_dir / f"{name}.png"
        widget.grab().save(str(path))
        self.taken.append(path)


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
    for name, status, info in states:
        view_model = SessionViewModel(None, connection=info)
        view_model.show_status(status)
        window = MainWindow(view_model)
        window.resize(720, 520)
        shots.shoot(window, name)
        window.close()


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
    waiting.show_problem(
        "The sign-in answer did not match this attempt, so it was ignored for your safety. Try again."
    )
    shots.shoot(waiting, "waiting-for-browser-problem")
    waiting.finish()

    for name, allow_password in (("jwt-sign-in", False), ("jwt-and-password-sign-in", True)):
        view_model = SignInViewModel(
            object(),
            PlatformClient("https://platform.ringcentral.com", "preview"),
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
        dialog.close()


SCREENS: tuple[Callable[[ShotTaker], None], ...] = (
    main_window_states,
    signed_out_prompts,
    sign_in_windows,
    connection_settings,
)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1] if len(argv) > 1 else "artifacts/screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication(argv[:1])
    app.setQuitOnLastWindowClosed(False)
    shots = ShotTaker(out_dir)
    for render in SCREENS:
        render(shots)
    for path in shots.taken:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
