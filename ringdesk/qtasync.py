"""asyncio on the Qt event loop: the only module that imports qasync.

    def main() -> int:
        return run_app(lambda guard: start(guard))      # start(guard) is `async def ... -> int`

    async def start(guard: QuitGuard) -> int:
        ...build things...
        await guard.wait()                               # File > Quit, tray Quit, Ctrl-C, SIGTERM
        await client.aclose()                            # the loop still runs here
        return 0

    spawn(session.sign_out(), name="sign out")           # from a plain Qt slot; the task is kept alive
    (code,) = await wait_signal(dialog.finished)         # a Qt signal as a future
    result = await open_dialog(dialog)                   # dialog.open(), never exec()

Why these helpers exist (each is a pitfall met on Python 3.11, PySide6 6.12, qasync 0.28):
- `QApplication.quit()` ends `exec()` at once, and any `await` in cleanup afterwards fails with "no running
  event loop"; `Application` routes Qt's Quit event to `QuitGuard`, and the app's coroutine shuts down
  while the loop still runs, then returns.
- A modal `exec()` inside a coroutine starves or loses tasks; `open_dialog` uses `open()` and a future.
- qasync keeps no strong reference to tasks, so an un-referenced task can be collected mid-flight and its
  exception is never seen; `spawn` holds every task and logs how it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar


def _skip_pyside_source_scans() -> None:
    """PySide6 reads the whole source of every module imported after it, to see whether the module
    selects a `__feature__` (snake_case names, true properties), and leaves that source in
    `linecache` for the whole run: about 400 modules, 5 MB of text and tens of milliseconds at each
    start. RingDesk selects no feature, so every module is taken as using PySide6's defaults without
    being read, which is what the scan concludes for a module that uses PySide6 at all. This module
    is imported first by `ringdesk.app`, so that the modules of a start are not read."""
    try:
        from shibokensupport import feature  # PySide6's own support package, loaded with QtCore
    except ImportError:
        return
    if callable(getattr(feature, "_mod_uses_pyside", None)):
        feature._mod_uses_pyside = lambda _module: True


# qasync chooses its Qt binding at import time: PyQt6 would win if it happened to be installed. So the
# variable is set and PySide6 is loaded before qasync is imported.
os.environ["QT_API"] = "pyside6"

# isort: off
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal, SignalInstance  # noqa: E402

_skip_pyside_source_scans()  # before any other import statement runs under PySide6's hook

from PySide6.QtGui import QFileOpenEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

import qasync  # noqa: E402

# isort: on


log = logging.getLogger("ringdesk")

T = TypeVar("T")

__all__ = [
    "Application",
    "QuitGuard",
    "application",
    "cancel_spawned",
    "install_exception_logging",
    "new_event_loop",
    "open_dialog",
    "run_app",
    "running_tasks",
    "spawn",
    "wait_signal",
]


class GuiThreadGarbageCollector(QObject):
    """Runs Python's cycle collector on the GUI thread only, from a timer.

    With automatic collection, a collection starts on whichever thread happens to allocate (the
    simulator's, the call history's worker, executors) and may free Qt objects there, such as one
    whose timer is still registered with the GUI thread's event dispatcher; Qt then crashes later
    inside its timer handling. Collecting here keeps every Qt deletion on the GUI thread.
    """

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect_if_due(self) -> None:
        # The same thresholds automatic collection uses, checked oldest generation first.
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def run_app(
    main_coro_factory: Callable[[QuitGuard], Coroutine[Any, Any, int]],
    *,
    app: QApplication | None = None,
) -> int:
    """Run `main_coro_factory(guard)` on a qasync loop until it returns; its result is the exit code.

    Creates an `Application` if there is no QApplication yet (QtWebEngine must have been imported
    before, by the caller). Quitting does not end the loop by itself: the coroutine awaits
    `guard.wait()`, shuts down asynchronously, and returns. Should Qt's event loop end anyway (a
    plain QApplication, or `exit()` called directly), the quit is requested and the loop is run
    again until the coroutine has finished its shutdown. Left-over tasks are cancelled and awaited
    by `asyncio.Runner` before the loop closes, so none is "destroyed but pending".
    """
    qapp = app or application()
    # Closing the last window must not end the loop behind the coroutine's back; the app decides.
    qapp.setQuitOnLastWindowClosed(False)
    install_exception_logging()
    collector = GuiThreadGarbageCollector(parent=qapp)
    collector.start()
    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
        loop = runner.get_loop()
        guard = QuitGuard(qapp)
        with _quit_on_termination_signals(guard):
            try:
                main = loop.create_task(main_coro_factory(guard), name="RingDesk main")
                while True:
                    try:
                        return loop.run_until_complete(main)
                    except RuntimeError:
                        if main.done():
                            raise
                        # "Event loop stopped before Future completed": Qt's loop ended under us.
                        log.info("the Qt event loop ended before shutdown finished; finishing it now")
                        guard.request_quit()
            finally:
                guard.remove()
                # Give tasks started by slots during shutdown a last chance to finish or be cancelled.
                loop.run_until_complete(cancel_spawned())
                collector.stop()


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new `Application` (the subclass that routes Qt's quit)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if existing is not None:
        raise RuntimeError("a QCoreApplication exists, but RingDesk needs a QApplication")
    return Application(sys.argv if argv is None else argv)


def new_event_loop(app: QCoreApplication | None = None) -> asyncio.AbstractEventLoop:
    """A qasync loop on `app` (or the existing QApplication) with RingDesk's exception logging."""
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app or application())
    loop.set_exception_handler(_log_loop_exception)
    return loop


#: The links macOS may open RingDesk with (its bundle's URL types).
_LINK_SCHEMES = frozenset({"tel", "callto", "sip", "sips"})


class Application(QApplication):
    """A QApplication whose `QEvent.Quit` (menu, tray, session end, `quit()`) goes to a `QuitGuard`,
    and whose `QFileOpenEvent` for a phone link goes to `set_link_handler`'s handler.

    Why a subclass and not an event filter: a filter installed on the application sees every event
    of every object, and on PySide6 6.12 wrapping those objects in Python crashes QtWebEngine
    (a segmentation fault while a page loads). `event()` here only sees the application's own events.

    macOS hands a clicked `tel:` link (from the bundle's URL types) to the running app as a
    QFileOpenEvent instead of starting a process; at a cold start it may come before the app is
    ready for it, so links are kept until a handler is set.
    """

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self._quit_guard: QuitGuard | None = None
        self._open_link: Callable[[str], None] | None = None
        self._links_waiting: list[str] = []

    def set_link_handler(self, handler: Callable[[str], None] | None) -> None:
        """Where phone links the system opens with RingDesk go; links that came before go there now."""
        self._open_link = handler
        waiting, self._links_waiting = self._links_waiting, []
        if handler is not None:
            for link in waiting:
                handler(link)

    def event(self, event: QEvent) -> bool:
        guard = self._quit_guard
        if event.type() == QEvent.Type.Quit and guard is not None:
            guard.request_quit()
            return True  # consumed: exec() keeps running while the app's coroutine shuts down
        if isinstance(event, QFileOpenEvent) and event.url().scheme().lower() in _LINK_SCHEMES:
            link = event.url().toString()
            if self._open_link is not None:
                self._open_link(link)
            else:
                self._links_waiting.append(link)
            return True
        return super().event(event)


class QuitGuard(QObject):
    """Turns Qt's quit into an awaitable request; `quit_requested` is emitted once.

    With an `Application`, Qt's Quit event is consumed and routed here, so windows stay as they are
    and the loop keeps running for the async shutdown. With a plain QApplication `run_app` notices
    the loop ending and requests the quit itself.
    """

    quit_requested = Signal()

    def __init__(self, app: QCoreApplication | None = None) -> None:
        super().__init__()
        instance = app or QCoreApplication.instance()
        if instance is None:
            raise RuntimeError("QuitGuard needs a QApplication")
        self._app: QCoreApplication = instance
        self._event = asyncio.Event()
        if isinstance(instance, Application):
            instance._quit_guard = self
        else:
            log.debug("plain QApplication: Qt's quit ends the loop and run_app finishes the shutdown")

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request_quit(self) -> None:
        """Ask for a shutdown (the same as `QApplication.quit()`); safe to call more than once."""
        if self._event.is_set():
            return
        log.info("quit requested")
        self._event.set()
        self.quit_requested.emit()

    async def wait(self) -> None:
        await self._event.wait()

    def remove(self) -> None:
        app = self._app
        if isinstance(app, Application) and app._quit_guard is self:
            app._quit_guard = None


# --- tasks --------------------------------------------------------------------------------------

# Strong references: the loop only holds weak ones, and a collected task is a silently lost one.
_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Start `coro` as a task on the running loop, keep it alive, and log it if it fails.

    Callable from synchronous Qt slots while the qasync loop runs.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        coro.close()  # no "coroutine was never awaited" on top of the real error
        raise RuntimeError(f"spawn({name!r}) needs the running qasync loop") from None
    task = loop.create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_task_done)
    return task


def running_tasks() -> frozenset[asyncio.Task[Any]]:
    """Tasks started with `spawn` that have not finished yet."""
    return frozenset(t for t in _tasks if not t.done())


async def cancel_spawned(grace: float = 5.0) -> None:
    """Cancel every task started with `spawn` on this loop and wait (bounded) until they are done."""
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    pending = [t for t in _tasks if not t.done() and t is not current and t.get_loop() is loop]
    for task in pending:
        task.cancel()
    if pending:
        _done, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            log.warning("task %r did not stop within %.0f s of being cancelled", task.get_name(), grace)


def _task_done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %r failed", task.get_name(), exc_info=(type(exc), exc, exc.__traceback__))


# --- signals and dialogs ------------------------------------------------------------------------


def wait_signal(signal_instance: SignalInstance) -> asyncio.Future[tuple[Any, ...]]:
    """A future resolved with the arguments of the next emission of `signal_instance`.

    Connects at once (so the emission cannot be missed between creating and awaiting it) and
    disconnects when the future is done or cancelled. Use `asyncio.timeout()` around it for a limit.
    Inside tests on the qasync loop this replaces `qtbot.waitSignal`, which would block the loop.
    """
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal_instance.connect(on_emit)

    def disconnect(_: asyncio.Future[tuple[Any, ...]]) -> None:
        # The sender may be gone already (deleted dialog); then there is nothing to disconnect.
        with warnings.catch_warnings(), contextlib.suppress(RuntimeError, TypeError):
            warnings.simplefilter("ignore", RuntimeWarning)
            signal_instance.disconnect(on_emit)

    future.add_done_callback(disconnect)
    return future


async def open_dialog(dialog: QDialog) -> int:
    """Show `dialog` window-modally with `open()` and return its result code when it finishes.

    Never `exec()`: a nested event loop inside a coroutine starves other tasks. If the awaiting
    task is cancelled, the dialog is rejected so no orphan window stays on screen.
    """
    finished = wait_signal(dialog.finished)
    dialog.open()
    try:
        (result,) = await finished
    except asyncio.CancelledError:
        with contextlib.suppress(RuntimeError):
            if dialog.isVisible():
                dialog.reject()
        raise
    return int(result)


# --- errors are never silent --------------------------------------------------------------------


def install_exception_logging() -> None:
    """Send uncaught exceptions (main thread, Qt slots, other threads) to the log file too.

    A windowed build has no stderr, so without this a failing slot would leave no trace at all.
    """
    previous = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))

    if getattr(sys.excepthook, "_ringdesk", False):
        return
    excepthook._ringdesk = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        thread = args.thread.name if args.thread else "?"
        log.critical(
            "unhandled exception in thread %s",
            thread,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        )

    threading.excepthook = thread_hook


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    message = context.get("message", "error in the event loop")
    exc = context.get("exception")
    details = {k: v for k, v in context.items() if k not in ("message", "exception")}
    if exc is not None:
        log.error("%s %s", message, details, exc_info=(type(exc), exc, exc.__traceback__))
    else:
        log.error("%s %s", message, details)


# --- internals ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _quit_on_termination_signals(guard: QuitGuard) -> Iterator[None]:
    """Ctrl-C and SIGTERM go through the same orderly shutdown as the Quit menu."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, _frame: Any) -> None:
        # Python runs this between bytecodes; hand it to the Qt loop instead of acting mid-statement.
        QTimer.singleShot(0, guard.request_quit)

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.signal(signum, handler)
    # Python only sees a signal when it runs bytecode; while Qt sleeps in C++ that would be never.
    ticker = QTimer()
    ticker.setInterval(250)
    ticker.timeout.connect(lambda: None)
    ticker.start()
    try:
        yield
    finally:
        ticker.stop()
        for signum, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, old)
