"""The windows of signing in: the embedded browser, "waiting for your browser", and the unattended form.

`SignInWindow` shows the platform's own sign-in page in a `QWebEngineView`. It does no HTTP and
no token work of its own: it watches every navigation, and when the browser is about to go to the
redirect URI it stops there, never loads it, and emits `redirect_caught` with the URL. Everything after
that (checking `state`, exchanging the code) belongs to `SignInViewModel`.

QtWebEngine is optional at run time (some Linux distributions package it separately, and it must
be imported before the `QApplication` exists). `embedded_window_factory()` returns None when it
cannot be imported; the view model then uses the system browser instead.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.style import problem_style
from ringdesk.ui.viewmodels.sign_in import SignInViewModel

try:
    import shiboken6
    from PySide6.QtWebEngineCore import QWebEngineLoadingInfo, QWebEnginePage, QWebEngineProfile
    from PySide6.QtWebEngineWidgets import QWebEngineView

    WEB_ENGINE_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on how Qt was installed
    WEB_ENGINE_AVAILABLE = False

__all__ = [
    "WEB_ENGINE_AVAILABLE",
    "BrowserWaitWindow",
    "SignInWindow",
    "UnattendedSignInDialog",
    "embedded_window_factory",
]

_log = logging.getLogger("ringdesk.ui.sign_in")

# Chromium's "navigation aborted": what a navigation we refused (the redirect) or a newer one
# replacing it reports. It is not a failure worth showing.
_ERR_ABORTED = -3


def embedded_window_factory() -> Callable[[Callable[[str], bool]], SignInWindow] | None:
    """What `SignInViewModel` takes as `window_factory`, or None when QtWebEngine is missing."""
    if not WEB_ENGINE_AVAILABLE:
        return None
    return SignInWindow


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
        return f"{shown} (this computer)" if _is_loopback(host) else f"{shown} \N{EM DASH} not secure"
    return shown


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _MessagePanel(QWidget):
    """A heading, one sentence and up to two buttons: the "problem" and "working" states of a window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.sentence = QLabel()
        self.sentence.setObjectName("sentence")
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.activity = QProgressBar()
        self.activity.setRange(0, 0)  # indeterminate: the wait has no known length
        self.activity.setTextVisible(False)
        self.activity.setAccessibleName("Working")
        self.primary = QPushButton()
        self.primary.setDefault(True)
        self.secondary = QPushButton()
        self.buttons = buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.secondary)
        buttons.addWidget(self.primary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.sentence)
        layout.addWidget(self.activity)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)
        self.setMinimumWidth(420)

    def present(
        self,
        heading: str,
        sentence: str,
        *,
        working: bool,
        primary: str | None,
        secondary: str | None,
    ) -> None:
        self.heading.setText(heading)
        self.sentence.setText(sentence)
        self.sentence.setVisible(bool(sentence))
        # A screen reader announces the sentence as the panel's description.
        self.setAccessibleDescription(sentence)
        self.activity.setVisible(working)
        for button, text in ((self.primary, primary), (self.secondary, secondary)):
            button.setVisible(text is not None)
            button.setText(text or "")
        if primary is not None:
            self.primary.setFocus()


if WEB_ENGINE_AVAILABLE:

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
        if not WEB_ENGINE_AVAILABLE:
            raise RuntimeError("QtWebEngine is not available; use the system browser to sign in")
        super().__init__(parent)
        self.setWindowTitle("Sign in to RingCentral")
        self.setObjectName("SignInWindow")
        self._is_redirect = is_redirect
        self._caught = False
        self._finishing = False
        self._disposed = False
        self._failed_url: QUrl | None = None

        # No storage name: an off-the-record profile keeps cookies and cache in memory only.
        self._profile = QWebEngineProfile()
        self._pages: list[QWebEnginePage] = []
        self._views: list[QWebEngineView] = []

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

        self._browsers = QStackedWidget()
        self.panel = _MessagePanel()
        self.panel.primary.clicked.connect(self._primary_clicked)
        self.panel.secondary.clicked.connect(self.close)
        self._pages_stack = QStackedWidget()
        self._pages_stack.addWidget(self._browsers)
        self._pages_stack.addWidget(self.panel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        address_row = QHBoxLayout()
        address_row.setContentsMargins(10, 6, 10, 6)
        address_row.addWidget(self.address, 1)
        layout.addLayout(address_row)
        layout.addWidget(self.progress)
        layout.addWidget(self._pages_stack, 1)

        self._primary_action: Callable[[], None] | None = None
        self._add_view()
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)
        self.resize(520, 720)

    # ------------------------------------------------------------------ what the view model calls

    def load(self, url: str) -> None:
        """Show the sign-in page at `url` (a fresh attempt: earlier pop-ups are closed)."""
        if self._disposed:
            raise RuntimeError("this sign-in window was finished; make a new one")
        while len(self._views) > 1:
            self._close_popup(self._views[-1].page())
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


class BrowserWaitWindow(QWidget):
    """ "Waiting for your browser...": shown while the person signs in in the system browser.

    Signals: `cancel_requested()` (Cancel), `reopen_requested()` ("Open the page again"),
    `try_again_requested()` (after a problem), `closed()` when the person closes the window.
    """

    cancel_requested = Signal()
    reopen_requested = Signal()
    try_again_requested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BrowserWaitWindow")
        self.setWindowTitle("Sign in with your browser")
        self._finishing = False
        self._state = "waiting"
        self.panel = _MessagePanel()
        self.reopen = QPushButton("&Open the page again")
        self.reopen.setAccessibleName("Open the sign-in page in the browser again")
        self.reopen.clicked.connect(self.reopen_requested.emit)
        # On the left of the button row, apart from Cancel: it helps when the browser tab got lost.
        self.panel.buttons.insertWidget(0, self.reopen)
        self.panel.primary.clicked.connect(self._primary_clicked)
        self.panel.secondary.clicked.connect(self._secondary_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self.show_waiting()
        self.setMinimumWidth(440)

    def show_waiting(self) -> None:
        self._state = "waiting"
        self.panel.present(
            "Waiting for your browser\N{HORIZONTAL ELLIPSIS}",
            "RingDesk opened the RingCentral sign-in page in your web browser. Sign in there; "
            "RingDesk continues by itself when you are done.",
            working=True,
            primary=None,
            secondary="Cancel",
        )
        self.reopen.show()
        self.panel.secondary.setFocus()

    def show_working(self, sentence: str) -> None:
        self._state = "working"
        self.panel.present(
            "Signing in\N{HORIZONTAL ELLIPSIS}", sentence, working=True, primary=None, secondary="Cancel"
        )
        self.reopen.hide()

    def show_problem(self, sentence: str) -> None:
        self._state = "problem"
        self.panel.present(
            "Sign-in did not finish", sentence, working=False, primary="Try again", secondary="Close"
        )
        self.reopen.hide()

    def finish(self) -> None:
        self._finishing = True
        self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._secondary_clicked()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted() and not self._finishing:
            self._finishing = True
            self.closed.emit()

    def _primary_clicked(self) -> None:
        if self._state == "problem":
            self.try_again_requested.emit()

    def _secondary_clicked(self) -> None:
        if self._state == "problem":
            self.close()
        else:
            self.cancel_requested.emit()


class UnattendedSignInDialog(QDialog):
    """Sign in without a browser: a JWT credential, or (when allowed) the legacy password.

    Receives the view model; shown with `open()`. Closes itself when the sign-in succeeds.
    """

    def __init__(self, view_model: SignInViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnattendedSignInDialog")
        self.setWindowTitle("Sign in without a browser")
        self._vm = view_model

        intro = QLabel(
            "For kiosks and unattended computers: paste a JWT credential created for your "
            "RingCentral user in the Developer Console."
        )
        intro.setWordWrap(True)

        self.jwt = QLineEdit()
        self.jwt.setObjectName("jwt")
        self.jwt.setEchoMode(QLineEdit.EchoMode.Password)
        self.jwt.setPlaceholderText("eyJ\N{HORIZONTAL ELLIPSIS}")
        self.jwt.setAccessibleName("JWT credential")
        self.jwt.setClearButtonEnabled(True)
        jwt_label = QLabel("&JWT credential:")
        jwt_label.setBuddy(self.jwt)
        self.jwt_storage = QLabel(view_model.secret_storage_note)
        self.jwt_storage.setObjectName("storage")
        self.jwt_storage.setWordWrap(True)
        self.sign_in_jwt = QPushButton("Sign in with JWT")
        self.sign_in_jwt.setObjectName("sign_in_jwt")
        self.sign_in_jwt.clicked.connect(self._submit_jwt)
        self.jwt.returnPressed.connect(self._submit_jwt)
        jwt_box = QGroupBox("JWT credential")
        jwt_form = QFormLayout(jwt_box)
        jwt_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        jwt_form.addRow(jwt_label, self.jwt)
        jwt_form.addRow(self.jwt_storage)
        jwt_form.addRow(self.sign_in_jwt)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(jwt_box)

        self.password_box: QGroupBox | None = None
        if view_model.password_allowed:
            self.password_box = self._build_password_box()
            layout.addWidget(self.password_box)

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(problem_style(self.palette()))
        self.error.setAccessibleName("Sign-in problem")
        self.error.hide()
        self.activity = QLabel("Signing in\N{HORIZONTAL ELLIPSIS}")
        self.activity.hide()
        layout.addWidget(self.error)
        layout.addWidget(self.activity)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        view_model.busy.connect(self._busy)
        view_model.failed.connect(self._failed)
        view_model.succeeded.connect(self._succeeded)
        self.setMinimumWidth(460)

    def _build_password_box(self) -> QGroupBox:
        box = QGroupBox("Password (legacy)")
        note = QLabel(
            "RingCentral is retiring sign-in with a password. Use a JWT credential or the browser "
            "sign-in when you can."
        )
        note.setObjectName("retiring_note")
        note.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setAccessibleName("Phone number or email")
        self.extension = QLineEdit()
        self.extension.setAccessibleName("Extension (optional)")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.sign_in_password = QPushButton("Sign in with password")
        self.sign_in_password.setObjectName("sign_in_password")
        self.sign_in_password.clicked.connect(self._submit_password)
        self.password.returnPressed.connect(self._submit_password)
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(note)
        for text, field in (
            ("Phone number or &email:", self.username),
            ("E&xtension (optional):", self.extension),
            ("&Password:", self.password),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        form.addRow(self.sign_in_password)
        return box

    def _submit_jwt(self) -> None:
        self._vm.sign_in_with_jwt(self.jwt.text())

    def _submit_password(self) -> None:
        self._vm.sign_in_with_password(self.username.text(), self.extension.text(), self.password.text())

    def _busy(self, busy: bool) -> None:
        for widget in self.findChildren(QGroupBox):
            widget.setEnabled(not busy)
        self.activity.setVisible(busy)
        if busy:
            self.error.hide()
        self._grow_to_fit()

    def _failed(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        # A sentence shown after the dialog opened must not squeeze the fields above it.
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _succeeded(self, _identity: object) -> None:
        # The secret fields are cleared so the credential does not linger in widget memory.
        self.jwt.clear()
        if self.password_box is not None:
            self.password.clear()
        self.accept()
