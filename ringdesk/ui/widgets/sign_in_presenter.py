"""The sign-in windows of one `SignInViewModel`, presented as its views say: `SignInPresenter`.

    window_factory = embedded_window_factory() if web_engine else None
    vm = SignInViewModel(..., embedded_available=window_factory is not None)
    SignInPresenter(vm, embedded_window=window_factory)   # owned by the view model from now on

A new attempt (a new `SignInView.page_url`) brings its window to the front; `CLOSED` finishes the
windows; the buttons and the redirect the windows catch go back to the view model's intents.

QtWebEngine is optional at run time (some Linux distributions package it separately) and costs
tens of MiB and milliseconds to load: the start only looks whether it is installed
(`ringdesk.app.prepare_qt`), and the factory `embedded_window_factory()` returns loads it when the
first sign-in window is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, SignalInstance

from ringdesk.config import LoginMethod
from ringdesk.ui.viewmodels.sign_in import SignInStep, SignInView, SignInViewModel
from ringdesk.ui.widgets.browser_wait_window import BrowserWaitWindow

__all__ = [
    "EmbeddedWindow",
    "SignInPresenter",
    "WaitWindow",
    "embedded_window_factory",
]


class _Window(Protocol):
    closed: SignalInstance
    try_again_requested: SignalInstance

    def show_view(self, view: SignInView) -> None: ...
    def finish(self) -> None: ...
    def show(self) -> None: ...
    def raise_(self) -> None: ...
    def activateWindow(self) -> None: ...


class EmbeddedWindow(_Window, Protocol):
    """What `SignInPresenter` needs from the embedded sign-in window (`SignInWindow`)."""

    redirect_caught: SignalInstance


class WaitWindow(_Window, Protocol):
    """What `SignInPresenter` needs from the "waiting for your browser" window (`BrowserWaitWindow`)."""

    cancel_requested: SignalInstance
    reopen_requested: SignalInstance


EmbeddedWindowFactory = Callable[[Callable[[str], bool]], EmbeddedWindow]
WaitWindowFactory = Callable[[], WaitWindow]


def embedded_window_factory() -> EmbeddedWindowFactory:
    """What `SignInPresenter` takes as `embedded_window`, where QtWebEngine is installed."""

    def make(is_redirect: Callable[[str], bool]) -> EmbeddedWindow:
        from ringdesk.ui.widgets.sign_in_window import SignInWindow

        return SignInWindow(is_redirect)

    return make


class SignInPresenter(QObject):
    """Creates, shows and closes the sign-in windows as the sign-in view model's views say, and
    sends their buttons back to its intents.

    Each `SignInView` asks for one window: the embedded sign-in window (made by
    `embedded_window(is_redirect)`), or the "waiting for your browser" window (`wait_window()`).

    A child of the view model, so it lives as long as the view model and goes with it.
    """

    def __init__(
        self,
        view_model: SignInViewModel,
        *,
        embedded_window: EmbeddedWindowFactory | None,
        wait_window: WaitWindowFactory = BrowserWaitWindow,
    ) -> None:
        super().__init__(view_model)
        self._vm = view_model
        self._make_embedded = embedded_window
        self._make_wait = wait_window
        self._embedded: EmbeddedWindow | None = None
        self._wait: WaitWindow | None = None
        # The page of the attempt whose window was last brought to the front.
        self._presented_url = ""
        view_model.changed.connect(self._render)
        view_model.raise_requested.connect(self._bring_forward)
        self._render(view_model.view)

    def _render(self, view: SignInView) -> None:
        if view.step is SignInStep.CLOSED:
            self._finish_windows()
            return
        new_attempt = bool(view.page_url) and view.page_url != self._presented_url
        embedded = view.method is not LoginMethod.SYSTEM_BROWSER
        window = self._embedded_window(new_attempt) if embedded else self._wait_window(new_attempt)
        if window is None:
            return
        window.show_view(view)
        if new_attempt:
            self._presented_url = view.page_url
            window.show()
            window.raise_()
            # The embedded window takes the keyboard for the page; while the person signs in in
            # the browser, the waiting window must not steal it back.
            if embedded:
                window.activateWindow()

    def _embedded_window(self, create: bool) -> EmbeddedWindow | None:
        if self._embedded is None and create and self._make_embedded is not None:
            window = self._make_embedded(self._vm.is_redirect)
            window.redirect_caught.connect(self._vm.redirected)
            window.closed.connect(self._embedded_closed)
            window.try_again_requested.connect(self._vm.try_again)
            self._embedded = window
        return self._embedded

    def _wait_window(self, create: bool) -> WaitWindow | None:
        if self._wait is None and create:
            window = self._make_wait()
            window.cancel_requested.connect(self._vm.cancel)
            window.reopen_requested.connect(self._vm.open_browser)
            window.try_again_requested.connect(self._vm.try_again)
            window.closed.connect(self._wait_closed)
            self._wait = window
        return self._wait

    def _embedded_closed(self) -> None:
        self._embedded = None
        self._vm.window_closed()

    def _wait_closed(self) -> None:
        self._wait = None
        self._vm.window_closed()

    def _finish_windows(self) -> None:
        self._presented_url = ""
        embedded, self._embedded = self._embedded, None
        if embedded is not None:
            embedded.finish()
        wait, self._wait = self._wait, None
        if wait is not None:
            wait.finish()

    def _bring_forward(self) -> None:
        for window in (self._embedded, self._wait):
            if window is not None:
                window.show()
                window.raise_()
                window.activateWindow()
