"""The main window's shell: who is signed in, what needs attention, and the place the dialer will take.

A dumb view: it renders `SessionView`s from a `SessionViewModel` and calls its intents; everything
else goes out as signals (`connection_settings_requested`, `preferences_requested`,
`history_requested`, `phone_picker_requested`, `shortcuts_requested`, `quit_requested`, `hidden_to_tray`,
`on_screen_changed`, `first_frame_painted`) for the app.

    window = MainWindow(session_vm)            # session_vm may be in any state: no network needed
    window.set_content(dialer_widget)          # the dialer fills the window under the banners
    window.set_close_to_tray(True)             # closing hides the window instead of quitting
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ringdesk import __version__
from ringdesk.paths import create_private_file, make_private_folder
from ringdesk.ui.viewmodels.session import SessionView, SessionViewModel
from ringdesk.ui.widgets.placement import HeightFloor, fit_to_screen
from ringdesk.ui.widgets.style import GROUP, INSET, TIGHT, icon, is_dark, spaced, stylesheet

__all__ = ["MainWindow"]

# The names other dialers use for the same two actions, shown as tooltips and in the status bar.
GET_CREDENTIALS = "Get credentials: sign in to RingCentral and keep the sign-in in the keyring"
CLEAR_CREDENTIALS = "Clear credentials: sign out, revoke the sign-in and delete it from the keyring"
SETTINGS_RESET = "Settings were reset"


class MainWindow(QMainWindow):
    connection_settings_requested = Signal()
    preferences_requested = Signal()
    history_requested = Signal()
    phone_picker_requested = Signal()
    shortcuts_requested = Signal()
    quit_requested = Signal()
    #: The window was closed and only hidden, because RingDesk stays in the tray.
    hidden_to_tray = Signal()
    #: Whether the window is on screen now (shown and not minimized), for the tray's Show/Hide.
    on_screen_changed = Signal(bool)
    #: Once, when the window's content is first painted: start-up work that can wait begins then.
    first_frame_painted = Signal()

    def __init__(
        self,
        session: SessionViewModel,
        *,
        state_file: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._state_file = state_file
        self._close_to_tray = False
        self.setWindowTitle("RingDesk")
        self.setWindowIcon(icon("ringdesk"))
        # The default height fits the dial pad's keys at their tallest; a banner's wrapped sentence
        # raises the minimum height as far as it needs (`HeightFloor`), so nothing is cut off.
        self.resize(560, 600)
        # Styled here as well as app-wide, so a window rendered on its own (screenshots) looks the same.
        self.setStyleSheet(stylesheet(is_dark(self.palette())))

        self._build_actions()
        self._build_menus()
        central = self._build_central()
        self.setCentralWidget(central)
        HeightFloor(self, central)
        self.statusBar().setSizeGripEnabled(False)

        self._restore_geometry()
        fit_to_screen(self)
        session.changed.connect(self.show_view)
        session.signed_out.connect(lambda: self.statusBar().showMessage("Signed out.", 5000))
        self.show_view(session.view)

    # ------------------------------------------------------------------ public

    @property
    def view_model(self) -> SessionViewModel:
        return self._session

    def show_view(self, view: SessionView) -> None:
        """Show `view`: header, banners, menu states, status card."""
        self.header.show_view(view)
        self.signed_out_banner.setVisible(view.signed_out)
        self.signed_out_banner.set_text(
            view.problem or "Sign in to place calls. Settings work while you are signed out."
        )
        self.signed_out_banner.button.setText(view.sign_in_label.replace("Sign in", "&Sign in", 1))
        self.signed_out_banner.button.setAccessibleName(view.sign_in_label)
        self.signed_out_banner.button.setEnabled(view.can_sign_in)
        self.notice_banner.setVisible(view.storage_notice is not None and not view.signed_out)
        self.notice_banner.set_text(view.storage_notice or "")
        self.sign_in_action.setEnabled(view.can_sign_in)
        self.sign_out_action.setEnabled(view.can_sign_out)

    def show_settings_problems(self, problems: list[str], *, files_unsaved: bool = False) -> None:
        """Sentences about the settings file (damaged, reset, overridden) until dismissed;
        `files_unsaved` when some of them say RingDesk cannot save its files at all."""
        if not problems:
            self.settings_banner.hide()
            return
        self.settings_banner.title.setText("Not everything can be saved" if files_unsaved else SETTINGS_RESET)
        self.settings_banner.setAccessibleName(self.settings_banner.title.text())
        self.settings_banner.set_text("\n".join(problems))
        self.settings_banner.show()

    def show_history_problems(self, problems: Sequence[str]) -> None:
        """What is wrong with the call history now (a full disk, a file set aside); hidden when
        nothing is, shown again whenever that changes, even after it was dismissed."""
        if not problems:
            self.history_banner.hide()
            return
        self.history_banner.set_text("\n".join(problems))
        self.history_banner.show()

    def menu_shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every menu item that has keys, in the menus' order."""
        listed = []
        for menu in (self.account_menu, self.calls_menu, self.help_menu):
            for action in menu.actions():
                keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]
                if keys:
                    name = action.text().replace("&", "").rstrip("\N{HORIZONTAL ELLIPSIS}")
                    listed.append((", ".join(keys), f"{menu.title().replace('&', '')} > {name}"))
        return listed

    def set_content(self, widget: QWidget) -> None:
        """Put the main content (the dialer) under the banners."""
        self.content.addWidget(widget)
        self.content.setCurrentWidget(widget)
        widget.installEventFilter(self)

    def set_close_to_tray(self, close_to_tray: bool) -> None:
        """With a tray icon to come back from, closing the window hides it; otherwise closing quits."""
        self._close_to_tray = close_to_tray

    def show_and_raise(self) -> None:
        """Bring the window back from the tray (or from behind other windows) with the focus in it."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    # ------------------------------------------------------------------ Qt

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.on_screen_changed.emit(not self.isMinimized())

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.on_screen_changed.emit(False)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self.on_screen_changed.emit(self.isVisible() and not self.isMinimized())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Only the content is watched, and only until its first paint.
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self.first_frame_painted.emit()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        event.accept()
        if self._close_to_tray:
            self.hidden_to_tray.emit()
        else:
            # No tray to come back from: closing quits, and the app shuts down in order.
            self.quit_requested.emit()

    # ------------------------------------------------------------------ building

    def _build_actions(self) -> None:
        self.sign_in_action = QAction("&Sign in\N{HORIZONTAL ELLIPSIS}", self)
        self.sign_in_action.setShortcut(QKeySequence("Ctrl+L"))
        self.sign_in_action.setToolTip(GET_CREDENTIALS)
        self.sign_in_action.setStatusTip(GET_CREDENTIALS)
        self.sign_in_action.triggered.connect(self._session.sign_in)

        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.setToolTip(CLEAR_CREDENTIALS)
        self.sign_out_action.setStatusTip(CLEAR_CREDENTIALS)
        self.sign_out_action.triggered.connect(self._session.sign_out)

        self.settings_action = QAction("&Connection settings\N{HORIZONTAL ELLIPSIS}", self)
        self.settings_action.setStatusTip("Server, sign-in method, and the app's client ID and redirect URI")
        self.settings_action.triggered.connect(self.connection_settings_requested)

        self.preferences_action = QAction("&Preferences\N{HORIZONTAL ELLIPSIS}", self)
        self.preferences_action.setShortcuts(_shortcuts(QKeySequence.StandardKey.Preferences, "Ctrl+,"))
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.preferences_action.setStatusTip("Tray, start-up and notifications")
        self.preferences_action.triggered.connect(self.preferences_requested)

        self.history_action = QAction("Call &history\N{HORIZONTAL ELLIPSIS}", self)
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.history_action.setStatusTip("Search, call back, copy, delete and export your calls")
        self.history_action.triggered.connect(self.history_requested)

        self.phone_action = QAction("&Phone to ring first\N{HORIZONTAL ELLIPSIS}", self)
        self.phone_action.setShortcut(QKeySequence("Ctrl+P"))
        self.phone_action.setStatusTip("The phone RingDesk rings first, caller ID, press 1, default country")
        self.phone_action.triggered.connect(self.phone_picker_requested)

        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcuts(_shortcuts(QKeySequence.StandardKey.Quit, "Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.quit_requested)

        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcuts(_shortcuts(QKeySequence.StandardKey.HelpContents, "F1"))
        self.shortcuts_action.setStatusTip("Every key RingDesk answers to")
        self.shortcuts_action.triggered.connect(self.shortcuts_requested)

        self.about_action = QAction("&About RingDesk", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._show_about)

    def _build_menus(self) -> None:
        account = self.menuBar().addMenu("&Account")
        account.setToolTipsVisible(True)
        account.addAction(self.sign_in_action)
        account.addAction(self.sign_out_action)
        account.addSeparator()
        account.addAction(self.settings_action)
        account.addAction(self.preferences_action)
        account.addSeparator()
        account.addAction(self.quit_action)
        self.account_menu = account
        calls = self.menuBar().addMenu("&Calls")
        calls.addAction(self.history_action)
        calls.addAction(self.phone_action)
        self.calls_menu = calls
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.help_menu = help_menu

    def _build_central(self) -> QWidget:
        """The header, and under it the banners over the content (the dialer), which fills the rest."""
        self.header = _Header()
        self._build_banners()
        self.content = QStackedWidget()
        self.content.setObjectName("content")

        body = QWidget()
        body_layout = spaced(QVBoxLayout(body), margin=(GROUP, INSET, GROUP, GROUP), gap=INSET)
        body_layout.addWidget(self.signed_out_banner)
        body_layout.addWidget(self.notice_banner)
        body_layout.addWidget(self.settings_banner)
        body_layout.addWidget(self.history_banner)
        body_layout.addWidget(self.content, 1)

        central = QWidget()
        layout = spaced(QVBoxLayout(central), margin=0, gap=0)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)
        return central

    def _build_banners(self) -> None:
        """Signed out (with Sign in again), the sign-in kept in memory only, the settings reset, and
        trouble with the call history."""
        self.signed_out_banner = _Banner(
            "signedOutBanner", "signed-out", "You are signed out", button_text="Sign in again"
        )
        self.signed_out_banner.button.clicked.connect(self._session.sign_in_again)
        self.notice_banner = _Banner("noticeBanner", "info", "Sign-in kept in memory only")
        self.settings_banner = _Banner(
            "settingsBanner", "info", SETTINGS_RESET, button_text="Dismiss", flat_button=True
        )
        self.settings_banner.button.clicked.connect(self.settings_banner.hide)
        self.settings_banner.hide()
        self.history_banner = _Banner(
            "historyBanner",
            "warning",
            "The call history needs attention",
            button_text="Dismiss",
            flat_button=True,
        )
        self.history_banner.button.clicked.connect(self.history_banner.hide)
        self.history_banner.hide()

    def _show_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About RingDesk")
        box.setIconPixmap(icon("ringdesk").pixmap(64, 64))
        box.setText(f"<b>RingDesk {__version__}</b>")
        box.setInformativeText(
            "Click a number, the platform rings your phone, then connects the call.\n"
            "Signing in stays out of your way: RingDesk keeps the session fresh on its own."
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # never exec(): the event loop also runs the app's tasks

    def _restore_geometry(self) -> None:
        if self._state_file is None:
            return
        saved = QSettings(str(self._state_file), QSettings.Format.IniFormat).value("main_window/geometry")
        if isinstance(saved, QByteArray):
            self.restoreGeometry(saved)

    def _save_geometry(self) -> None:
        """Keep the window's size and place, in a 0600 file in a 0700 folder like all RingDesk's files.

        The file exists with its mode before Qt writes it, and Qt keeps an existing file's mode.
        A folder that cannot be written (a read-only home) only means the size is not kept.
        """
        if self._state_file is None:
            return
        try:
            make_private_folder(self._state_file.parent)
            create_private_file(self._state_file)
        except OSError:
            return
        state = QSettings(str(self._state_file), QSettings.Format.IniFormat)
        state.setValue("main_window/geometry", self.saveGeometry())
        state.sync()


class _Header(QFrame):
    """Who is signed in and with which extension; a quiet line while signing in or signed out."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("header")
        self.avatar = QLabel()
        self.avatar.setObjectName("avatar")
        self.avatar.setFixedSize(44, 44)
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.avatar.setAccessibleName("Account picture")
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel()
        self.detail.setObjectName("detail")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        texts = spaced(QVBoxLayout(), margin=0, gap=TIGHT)
        texts.addWidget(self.headline)
        texts.addWidget(self.detail)
        layout = spaced(QHBoxLayout(self), margin=(GROUP, GROUP, GROUP, INSET), gap=INSET)
        layout.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(texts, 1)

    def show_view(self, view: SessionView) -> None:
        self.headline.setText(view.headline if not view.signing_out else "Signing out\N{HORIZONTAL ELLIPSIS}")
        self.detail.setText(view.detail)
        self.detail.setVisible(bool(view.detail))
        self.detail.setToolTip(view.account)
        # setText and setPixmap each clear the other, so the label shows exactly one of them.
        if view.initials:
            self.avatar.setText(view.initials)
        else:
            self.avatar.setPixmap(icon("ringdesk").pixmap(QSize(44, 44), self.devicePixelRatioF()))
        self.avatar.setStyleSheet("" if view.initials else "background: transparent;")
        self.setAccessibleName(view.headline)
        self.setAccessibleDescription(view.detail)


class _Banner(QFrame):
    """An icon, a bold title, one sentence and an optional button, in a tinted rounded box."""

    def __init__(
        self,
        object_name: str,
        icon_name: str,
        title: str,
        *,
        button_text: str | None = None,
        flat_button: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.icon = QLabel()
        self.icon.setPixmap(icon(icon_name).pixmap(22, 22))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(title)
        self.title.setObjectName("bannerTitle")
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        texts = spaced(QVBoxLayout(), margin=0, gap=TIGHT)
        texts.addWidget(self.title)
        texts.addWidget(self.text)
        layout = spaced(QHBoxLayout(self), margin=INSET, gap=INSET)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(texts, 1)
        # Parented at once: a parentless widget made visible is briefly a window of its own.
        self.button = QPushButton(button_text or "", self)
        self.button.setFlat(flat_button)
        self.button.setVisible(button_text is not None)
        self.button.setAccessibleName(button_text or "")
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setAccessibleName(title)

    def set_text(self, text: str) -> None:
        self.text.setText(text)
        self.text.setVisible(bool(text))
        self.setAccessibleDescription(text)


def _shortcuts(standard: QKeySequence.StandardKey, fallback: str) -> list[QKeySequence]:
    """The platform's keys for `standard`, plus `fallback` where the platform defines none or others.

    Some desktops define no Preferences key at all; listing a key twice would make it ambiguous.
    """
    keys = [key for key in QKeySequence.keyBindings(standard) if not key.isEmpty()]
    extra = QKeySequence(fallback)
    if extra not in keys:
        keys.append(extra)
    return keys
