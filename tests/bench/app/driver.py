"""The Qt driver: runs `RingDeskApp` in this process as the app runs, and operates it as a person does."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ringdesk.app import AppOptions, RingDeskApp, make_application
from ringdesk.calls.service import DEFAULT_POLL_INTERVAL
from ringdesk.log import setup_logging
from ringdesk.paths import app_paths
from ringdesk.qtasync import QuitGuard, run_app
from ringdesk.simulator import SimulatorControl
from tests.bench.app.figures import PARTS, PartOptions, StallMeter, fill_history, prepare_simulator
from tests.bench.app.process import RESULT_PREFIX, write_settings

#: What is typed into the number entry; the simulator's demo account connects it normally.
NUMBER = "6505551234"


async def until(
    condition: Callable[[], object], within: float, what: str, app_task: asyncio.Future[Any]
) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if app_task.done():
            raise RuntimeError(f"the app stopped while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


class Driver:
    """Operates one running `RingDeskApp` the way a person does: types, clicks Call, New call."""

    def __init__(self, app: Any, task: asyncio.Future[Any], control: SimulatorControl) -> None:
        self.app = app
        self.task = task
        self.control = control
        self.dialer = app.dialer
        self.call_vm = app.dialer_vm.call_vm

    async def until(self, condition: Callable[[], object], what: str, within: float = 30) -> None:
        await until(condition, within, what, self.task)

    async def sim(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A control call, off the GUI thread (the client is synchronous) so the loop measured never waits.

        Control calls are idempotent, so one that meets a pooled connection the simulator has just
        closed as idle (uvicorn keeps them 5 s, the same as httpx's keep-alive expiry) is sent again.
        """

        def call() -> Any:
            try:
                return method(*args, **kwargs)
            except httpx.TransportError:
                return method(*args, **kwargs)

        return await asyncio.to_thread(call)

    async def signed_in(self) -> None:
        """The stored sign-in done and the phone lists loaded: where a start comes to rest."""
        app = self.app
        await self.until(lambda: app.session_vm.view.signed_in, "the stored sign-in")
        await self.until(
            lambda: (
                app.connection is not None
                and app.connection.calls is not None
                and app.dialer_vm.view.signed_in
            ),
            "the dialer",
        )
        if not app.dialer_vm.preferences.chosen:
            raise RuntimeError("the dialer has no phone chosen: Settings.dialer was not used")
        await self.until(lambda: app.picker_vm.view.phones, "the phone lists")

    async def type_number(self) -> None:
        entry = self.dialer.entry
        entry.setFocus()
        QTest.keyClicks(entry, NUMBER)
        await self.until(lambda: self.dialer.call_button.isEnabled(), "the Call button")

    def on_pad(self) -> bool:
        return bool(self.dialer.pages.currentWidget() is self.dialer.pad_page)

    def click(self, button: Any) -> None:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    async def new_call(self) -> None:
        """After a call: "New call" on the status view, back to the pad with the number kept."""
        await self.until(lambda: self.call_vm.view.final or not self.call_vm.view.shown, "the call to end")
        if not self.on_pad():
            self.click(self.dialer.status_view.action_button)
        await self.until(self.on_pad, "the dial pad")

    def push_live(self) -> bool:
        """Whether the platform's events are flowing to the app now."""
        connection = self.app.connection
        feed = connection.platform.call_feed if connection is not None else None
        return feed is not None and feed.live

    def poll_interval(self) -> float:
        return float(self.app.options.call_poll_interval)

    def phase(self) -> str:
        return str(self.call_vm.view.phase.value)


def app_process_main(part: str, server_url: str, home: Path, options: PartOptions) -> None:
    """One app process: `RingDeskApp` built and run as `ringdesk.app.main` does, driven through `part`.

    Its figures go to stdout as one `RESULT_PREFIX` line for `run_part` in the benchmark's process.
    """
    os.environ["RINGDESK_HOME"] = str(home)
    setup_logging(app_paths().log_file, logging.INFO)
    qapp, web_engine = make_application()
    app_options = AppOptions(
        web_engine=web_engine,
        settings_path=write_settings(home, server_url),
        remember_windows=False,
        call_poll_interval=options.memory_poll if part == "memory" else DEFAULT_POLL_INTERVAL,
    )
    result: dict[str, Any] = {}

    async def drive(guard: QuitGuard) -> int:
        with SimulatorControl(server_url) as control:
            await asyncio.to_thread(prepare_simulator, control, part)
            if part == "history":
                await fill_history(app_paths().history_db, options.history_rows)
            app = RingDeskApp(app_options, guard)
            # From the window's first frame (before it, the start's time is what counts) until
            # the app comes to rest signed in.
            start_meter = StallMeter()
            app.main_window.first_frame_painted.connect(start_meter.start)
            task = asyncio.ensure_future(app.run())
            try:
                driver = Driver(app, task, control)
                await driver.signed_in()
                start_meter.stop()
                result["start_event_loop"] = start_meter.result()
                await driver.type_number()
                result.update(await PARTS[part](driver, options))
            finally:
                guard.request_quit()
                code: int = await asyncio.wait_for(task, 60)
        return code

    try:
        code = run_app(drive, app=qapp)
    except BaseException:
        # run_app sends uncaught exceptions to the app's log; the parent reads stderr.
        traceback.print_exc()
        raise SystemExit(1) from None
    result["exit_code"] = code
    print(RESULT_PREFIX + json.dumps(result), flush=True)
