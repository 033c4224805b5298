"""The embedded sign-in window: the platform's own sign-in page in a `QWebEngineView`.

`SignInWindow` does no HTTP and no token work of its own: it watches every navigation, and when
the browser is about to go to the redirect URI it stops there, never loads it, and emits
`redirect_caught` with the URL. Everything after that (checking `state`, exchanging the code)
belongs to `SignInViewModel`. It renders the view model's `SignInView`s; `SignInPresenter`
(`sign_in_presenter`) makes it and passes the views on.

Importing this module loads QtWebEngine (tens of MiB and of milliseconds), so nothing imports it
at start: `sign_in_presenter.embedded_window_factory()` does, when a web sign-in starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWebEngineCore import (
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ringdesk.net import is_loopback
from ringdesk.ui.viewmodels.sign_in import SignInStep, SignInView
from ringdesk.ui.widgets.browser_wait_window import MessagePanel
from ringdesk.ui.widgets.placement import fit_to_screen
from ringdesk.ui.widgets.style import RELATED, is_dark, spaced

__all__ = ["SignInWindow", "describe_address"]

_log = logging.getLogger("ringdesk.ui.sign_in")

# Chromium's "navigation aborted": what a navigation we refused (the redirect) or a newer one
# replacing it reports. It is not a failure worth showing.
_ERR_ABORTED = -3


def describe_address(url: str) -> str:
    """The address line's text: the host being visited, and a warning when the link is not private."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        return ""
    shown = f"{host}:{parts.port}" if parts.port else host
    if parts.scheme == "https":
        return f"\N{LOCK} {shown}"
    if parts.scheme == "http":
        # A loopback address never leaves the computer, so plain HTTP there is not a risk worth a warning.
        return f"{shown} (this computer)" if is_loopback(host) else f"{shown} \N{EM DASH} not secure"
    return shown


class _SignInPage(QWebEnginePage):
    """A page that stops at the redirect URI and opens pop-ups inside the sign-in window."""

    def __init__(self, profile: QWebEngineProfile, window: SignInWindow) -> None:
        super().__init__(profile)
        self._window = window

    def acceptNavigationRequest(
        self, url: QUrl | str, type_: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        # Fully encoded, so `code` and `state` reach the parser exactly as the server sent them.
        text = bytes(url.toEncoded().data()).decode("ascii") if isinstance(url, QUrl) else url
        if self._window._is_redirect(text):
            self._window._caught_redirect(text)
            return False
        return super().acceptNavigationRequest(url, type_, is_main_frame)

    def createWindow(self, type_: QWebEnginePage.WebWindowType) -> QWebEnginePage:
        # SSO pages open pop-ups (and rely on `window.opener`); they become a view stacked on top
        # inside this window, never a stray top-level window.
        return self._window._open_popup()


class SignInWindow(QWidget):
    """A top-level window with the platform's sign-in page.

    `is_redirect(url)` says whether a URL is the configured redirect URI (exact scheme, host,
    port and path); the window refuses to load such a URL and emits `redirect_caught(url)` instead.

    Signals: `redirect_caught(str)`, once per `load()`; `closed()` when the person closes the window
    (not after `finish()`); `try_again_requested()` from the "Try again" button of `show_problem`.
    """

    redirect_caught = Signal(str)
    closed = Signal()
    try_again_requested = Signal()

    def __init__(self, is_redirect: Callable[[str], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to RingCentral")
        self.setObjectName("SignInWindow")
        self._is_redirect = is_redirect
        self._caught = False
        self._finishing = False
        self._disposed = False
        self._failed_url: QUrl | None = None
        self._page_url = ""

        # No storage name: an off-the-record profile keeps cookies and cache in memory only.
        self._profile = QWebEngineProfile()
        self._pages: list[QWebEnginePage] = []
        self._views: list[QWebEngineView] = []

        self._build_address_and_progress()
        self._build_pages_stack()

        layout = spaced(QVBoxLayout(self), margin=0, gap=0)
        address_row = spaced(QHBoxLayout(), margin=RELATED, gap=RELATED)
        address_row.addWidget(self.address, 1)
        layout.addLayout(address_row)
        layout.addWidget(self.progress)
        layout.addWidget(self._pages_stack, 1)

        self._primary_action: Callable[[], None] | None = None
        self._add_view()
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)
        self.resize(520, 720)
        fit_to_screen(self)

    def _build_address_and_progress(self) -> None:
        """The address line, which names the host being shown, and the thin bar of a page loading."""
        self.address = QLabel()
        self.address.setObjectName("address")
        self.address.setAccessibleName("Address of the page being shown")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(4)
        self.progress.setAccessibleName("Loading the page")
        self.progress.hide()

    def _build_pages_stack(self) -> None:
        """The browser views (the page and its pop-ups) and, in their place when needed, the panel."""
        self._browsers = QStackedWidget()
        self.panel = MessagePanel(card=True)
        self.panel.primary.clicked.connect(self._primary_clicked)
        self.panel.secondary.clicked.connect(self.close)
        self._pages_stack = QStackedWidget()
        self._pages_stack.addWidget(self._browsers)
        self._pages_stack.addWidget(self.panel)

    # ------------------------------------------------------------------ what the view model's views say

    def show_view(self, view: SignInView) -> None:
        """Show what `view` says: a new attempt's page, the "finishing" panel, or the problem."""
        if view.step is SignInStep.SIGN_IN_PAGE and view.page_url != self._page_url:
            self.load(view.page_url)
        elif view.step is SignInStep.FINISHING:
            self.show_working(view.sentence)
        elif view.step is SignInStep.PROBLEM:
            self.show_problem(view.sentence)

    def load(self, url: str) -> None:
        """Show the sign-in page at `url` (a fresh attempt: earlier pop-ups are closed)."""
        if self._disposed:
            raise RuntimeError("this sign-in window was finished; make a new one")
        while len(self._views) > 1:
            self._close_popup(self._views[-1].page())
        self._page_url = url
        self._caught = False
        self._failed_url = None
        self._pages_stack.setCurrentWidget(self._browsers)
        self._views[0].load(QUrl.fromEncoded(url.encode("ascii")))
        self._views[0].setFocus()

    def show_working(self, sentence: str) -> None:
        """Cover the page with a "please wait" panel (the code exchange after the redirect)."""
        self.progress.hide()
        self.panel.present(
            "Signing in\N{HORIZONTAL ELLIPSIS}", sentence, working=True, primary=None, secondary=None
        )
        self._pages_stack.setCurrentWidget(self.panel)

    def show_problem(self, sentence: str) -> None:
        """Cover the page with the sentence, "Try again" (emits `try_again_requested`) and "Close"."""
        self._show_problem_panel("Sign-in did not finish", sentence, self.try_again_requested.emit)

    def finish(self) -> None:
        """Close without emitting `closed`, and give the browser's memory back."""
        self._finishing = True
        self.close()
        self._dispose_web()

    @property
    def profile(self) -> QWebEngineProfile:
        return self._profile

    @property
    def view(self) -> QWebEngineView:
        """The view on top: the sign-in page, or the pop-up it opened."""
        return self._views[-1]

    # ------------------------------------------------------------------ Qt events

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if not event.isAccepted():
            return
        if not self._finishing:
            self._finishing = True
            self.closed.emit()
        self._dispose_web()

    # ------------------------------------------------------------------ inside

    def _add_view(self) -> QWebEnginePage:
        view = QWebEngineView()
        view.setAccessibleName("RingCentral sign-in page")
        page = _SignInPage(self._profile, self)
        # In a dark palette the page is shown dark too: in its own dark colours where it has them,
        # else darkened by the browser, rather than a white page in a dark desktop.
        page.settings().setAttribute(QWebEngineSettings.WebAttribute.ForceDarkMode, is_dark(self.palette()))
        view.setPage(page)
        page.loadStarted.connect(self._load_started)
        page.loadProgress.connect(self.progress.setValue)
        page.loadFinished.connect(lambda _ok: self.progress.hide())
        page.loadingChanged.connect(self._loading_changed)
        page.urlChanged.connect(lambda url, page=page: self._url_changed(page, url))
        page.windowCloseRequested.connect(lambda page=page: self._close_popup(page))
        self._pages.append(page)
        self._views.append(view)
        self._browsers.addWidget(view)
        self._browsers.setCurrentWidget(view)
        return page

    def _open_popup(self) -> QWebEnginePage:
        _log.info("the sign-in page opened a pop-up; it is shown inside the sign-in window")
        return self._add_view()

    def _close_popup(self, page: QWebEnginePage) -> None:
        # The sign-in page itself asking to close (window.close()) is ignored: only the person closes it.
        if self._disposed or not self._pages or page is self._pages[0] or page not in self._pages:
            return
        index = self._pages.index(page)
        view = self._views.pop(index)
        self._pages.pop(index)
        self._browsers.removeWidget(view)
        view.setPage(None)  # type: ignore[arg-type]

        # Deleting from inside the page's own signal would pull the floor from under it.
        def delete_popup() -> None:
            shiboken6.delete(page)
            shiboken6.delete(view)

        QTimer.singleShot(0, delete_popup)
        self._url_changed(self._pages[-1], self._pages[-1].url())

    def _caught_redirect(self, url: str) -> None:
        if self._caught:
            return  # a page may try twice (redirect, then a script); one answer per attempt
        self._caught = True
        self.progress.hide()
        _log.info("the sign-in page went to the redirect URI; it was not loaded")
        # Emitted after the engine's callback returns, so a listener may tear the page down safely.
        QTimer.singleShot(0, self, lambda: self.redirect_caught.emit(url))

    def _load_started(self) -> None:
        self.progress.setValue(0)
        self.progress.show()

    def _url_changed(self, page: QWebEnginePage, url: QUrl) -> None:
        if self._pages and page is self._pages[-1]:
            text = describe_address(url.toString())
            self.address.setText(text)
            self.address.setToolTip(text)

    def _loading_changed(self, info: QWebEngineLoadingInfo) -> None:
        if info.status() != QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus or self._caught:
            return
        domain = info.errorDomain()
        # The server's own error pages (HTTP 4xx/5xx) explain themselves; they stay on screen.
        if domain in (
            QWebEngineLoadingInfo.ErrorDomain.NoErrorDomain,
            QWebEngineLoadingInfo.ErrorDomain.HttpStatusCodeDomain,
        ):
            return
        if info.errorCode() == _ERR_ABORTED:
            return
        host = info.url().host() or "the sign-in server"
        _log.warning("the sign-in page did not load from %s: %s %s", host, domain.name, info.errorCode())
        if domain == QWebEngineLoadingInfo.ErrorDomain.CertificateErrorDomain:
            sentence = (
                f"The secure connection to {host} could not be verified, so RingDesk did not show its page."
            )
        else:
            sentence = (
                f"RingDesk could not open the sign-in page at {host}. Check your internet "
                "connection, then try again."
            )
        self._failed_url = info.url()
        self._show_problem_panel("The page did not load", sentence, self._reload_failed)

    def _reload_failed(self) -> None:
        url, self._failed_url = self._failed_url, None
        self._pages_stack.setCurrentWidget(self._browsers)
        if url is not None:
            self.view.load(url)

    def _show_problem_panel(self, heading: str, sentence: str, retry: Callable[[], None]) -> None:
        self.progress.hide()
        self._primary_action = retry
        self.panel.present(heading, sentence, working=False, primary="Try again", secondary="Close")
        self._pages_stack.setCurrentWidget(self.panel)

    def _primary_clicked(self) -> None:
        if self._primary_action is not None:
            self._primary_action()

    def _dispose_web(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        # Views go first, then their pages, then the profile: a page outliving its profile makes
        # QtWebEngine complain, and a view left without a page quietly makes a new default one.
        for view in self._views:
            view.stop()
            self._browsers.removeWidget(view)
            shiboken6.delete(view)
        self._views.clear()
        for page in self._pages:
            shiboken6.delete(page)
        self._pages.clear()
        shiboken6.delete(self._profile)
        _log.debug("the sign-in browser was torn down")
