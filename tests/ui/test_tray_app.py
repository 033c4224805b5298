"""The tray in the whole app, with a real XEmbed tray (trayer) on the test's X screen.

Start minimized, close to the tray, call the number on the clipboard from the tray menu, and quit
from the tray, against the real simulator, signed in from a stored JWT.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from ringdesk.calls.state import Phase
from ringdesk.config import GeneralSettings, load_settings, save_settings
from ringdesk.desktop.instance import Request
from ringdesk.simulator import SimulatorControl
from tests.ui.test_app import trouble as trouble
from tests.ui.test_app import until
from tests.ui.test_dialer_app import (
    calls_fast_enough as calls_fast_enough,  # fixtures: imported so tests here can use them
)
from tests.ui.test_dialer_app import (
    jwt_settings as jwt_settings,
)
from tests.ui.test_dialer_app import (
    options,
    phase,
    ready_to_dial,
    running,
    store_choice,
)
from tests.ui.test_dialer_app import (
    stored_jwt as stored_jwt,
)


def tray_balloon_texts() -> set[str]:
    return {
        label.text()
        for widget in QApplication.topLevelWidgets()
        if widget.metaObject().className() == "QBalloonTip" and widget.isVisible()
        for label in widget.findChildren(QLabel)
    }


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_start_minimized_close_to_tray_call_the_clipboard_and_quit_from_the_tray(
    ringdesk_home: Path,
    jwt_settings: Path,
    sim_control: SimulatorControl,
    tray_host: subprocess.Popen[bytes],
    trouble: Callable[[], list[str]],
) -> None:
    store_choice(jwt_settings)
    stored = load_settings(jwt_settings, environ={}).settings
    general = GeneralSettings(start_minimized=True, close_to_tray=True, ask_to_sign_in_at_start=False)
    save_settings(dataclasses.replace(stored, general=general), jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        tray = app.tray
        assert tray is not None and tray.isVisible()
        assert not app.main_window.isVisible(), "started minimized to the tray"
        assert tray.toolTip() == "RingDesk: ready"

        QGuiApplication.clipboard().setText("Call me: (650) 555-1234")
        tray.menu.aboutToShow.emit()  # what opening the menu does: read the clipboard
        assert tray.clipboard_action.isEnabled()
        assert "+1 650-555-1234" in tray.clipboard_action.text()
        tray.clipboard_action.trigger()
        await until(lambda: app.main_window.isVisible(), what="the window shown for the call")
        await until(lambda: phase(app) is Phase.CONNECTED, within=15, what="connected")
        await until(lambda: tray.toolTip().startswith("RingDesk: in a call with +1 650-555-1234"))
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="ended")
        await until(lambda: tray.toolTip() == "RingDesk: ready", what="ready again")

        # Closing the window keeps RingDesk running in the tray, and says so once.
        app.main_window.close()
        await until(lambda: not app.main_window.isVisible(), what="the window hidden")
        await until(lambda: "RingDesk is still running" in tray_balloon_texts(), what="the tray message")
        assert not task.done()
        assert tray.show_hide_action.text() == "&Show RingDesk"

        tray.quit_action.trigger()
        assert await task == 0
    assert trouble() == []


@pytest.mark.usefixtures("stored_jwt")
async def test_without_the_close_to_tray_switch_closing_quits_even_with_a_tray(
    ringdesk_home: Path, jwt_settings: Path, tray_host: subprocess.Popen[bytes]
) -> None:
    stored = load_settings(jwt_settings, environ={}).settings
    general = GeneralSettings(close_to_tray=False, ask_to_sign_in_at_start=False)
    save_settings(dataclasses.replace(stored, general=general), jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await until(lambda: app.main_window.isVisible(), what="the window")
        assert app.tray is not None
        app.main_window.close()
        assert await task == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_minimized_a_link_called_at_once_counts_down_in_a_tray_message(
    ringdesk_home: Path,
    jwt_settings: Path,
    sim_control: SimulatorControl,
    tray_host: subprocess.Popen[bytes],
) -> None:
    """`--minimized` starts in the tray whatever the preference says; with "call at once" a link
    leaves the window where it is, says so in a tray message, and is called once."""
    store_choice(jwt_settings)
    stored = load_settings(jwt_settings, environ={}).settings
    general = GeneralSettings(call_links_at_once=True, ask_to_sign_in_at_start=False)
    save_settings(dataclasses.replace(stored, general=general), jwt_settings)
    async with running(dataclasses.replace(options(jwt_settings), start_minimized=True)) as (app, task):
        await ready_to_dial(app)
        assert not app.main_window.isVisible(), "started in the tray"
        reply = await app.incoming.handle(Request.dial("tel:+1-650-555-1234"))
        assert reply.message == "RingDesk calls +1 650-555-1234 in 3 seconds unless you cancel."
        await until(lambda: "Open RingDesk to cancel." in tray_balloon_texts(), what="the tray message")
        assert not app.main_window.isVisible()
        await until(lambda: phase(app) is Phase.CONNECTED, within=20, what="connected")
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="ended")
        assert sum(call.get("to") == "+16505551234" for call in sim_control.calls()) == 1
        app.tray.quit_action.trigger()  # type: ignore[union-attr]
        assert await task == 0
