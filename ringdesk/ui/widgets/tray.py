"""The system tray icon and its menu: a pure view of `TrayViewModel`.

    if TrayIcon.available():
        tray = TrayIcon(tray_vm)
        tray.show()

The icon's shape says the state (hollow: signed out, filled square: ready, green circle with sound
waves: in a call), the tooltip says it in words. A left click shows or hides the main window; the
context menu offers Show/Hide, a call to the number on the clipboard, recent numbers, Sign in or
Sign out, and Quit. Call notifications from the view model become tray messages.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ringdesk.ui.viewmodels.tray import Notification, NotificationKind, TrayState, TrayView, TrayViewModel
from ringdesk.ui.widgets.style import icon

__all__ = ["MESSAGE_MS", "TrayIcon"]

#: How long a tray message stays up (the desktop may use its own time).
MESSAGE_MS = 5000

_ICONS = {
    TrayState.SIGNED_OUT: "tray-signed-out",
    TrayState.READY: "tray-ready",
    TrayState.IN_CALL: "tray-in-call",
}


class TrayIcon(QSystemTrayIcon):
    """The tray icon; `menu` is its context menu, brought up to date by each `TrayView`."""

    def __init__(self, view_model: TrayViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vm = view_model
        self._icons = {state: icon(name) for state, name in _ICONS.items()}
        self._shown_state: TrayState | None = None

        # A tray icon is not a widget and so cannot be the menu's parent; the menu goes with the icon.
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.destroyed.connect(self.menu.deleteLater)
        self.show_hide_action = self.menu.addAction("")
        self.show_hide_action.triggered.connect(view_model.toggle_window)
        self.menu.addSeparator()
        self.clipboard_action = self.menu.addAction("")
        self.clipboard_action.triggered.connect(view_model.call_clipboard)
        self.recent_menu = self.menu.addMenu("&Recent numbers")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.triggered.connect(self._recent_chosen)
        self.menu.addSeparator()
        self.sign_in_action = self.menu.addAction("Sign &in\N{HORIZONTAL ELLIPSIS}")
        self.sign_in_action.triggered.connect(view_model.sign_in)
        self.sign_out_action = self.menu.addAction("Sign &out")
        self.sign_out_action.triggered.connect(view_model.sign_out)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("&Quit RingDesk")
        self.quit_action.triggered.connect(view_model.quit)
        # What was copied since the menu was last open decides the clipboard item.
        self.menu.aboutToShow.connect(view_model.refresh_clipboard)
        self.setContextMenu(self.menu)

        self.activated.connect(self._activated)
        self.messageClicked.connect(view_model.show_window)
        view_model.changed.connect(self.render)
        view_model.notify.connect(self.show_notification)
        self.render(view_model.view)

    @staticmethod
    def available() -> bool:
        """Whether the desktop shows tray icons now."""
        return QSystemTrayIcon.isSystemTrayAvailable()

    def render(self, view: TrayView) -> None:
        if view.state is not self._shown_state:
            self._shown_state = view.state
            self.setIcon(self._icons[view.state])
        self.setToolTip(view.tooltip)
        self.show_hide_action.setText("&" + view.show_hide_label)
        self.clipboard_action.setText("&" + _escape(view.clipboard_label))
        self.clipboard_action.setEnabled(view.clipboard_enabled)
        self._render_recent(view)
        self.sign_in_action.setVisible(not view.signed_in)
        self.sign_in_action.setEnabled(view.can_sign_in)
        self.sign_out_action.setVisible(view.signed_in)
        self.sign_out_action.setEnabled(view.can_sign_out)

    def show_notification(self, notification: Notification) -> None:
        if notification.kind is NotificationKind.FAILED:
            self.showMessage(
                notification.title, notification.body, QSystemTrayIcon.MessageIcon.Warning, MESSAGE_MS
            )
        else:
            self.showMessage(notification.title, notification.body, icon("ringdesk"), MESSAGE_MS)

    def _render_recent(self, view: TrayView) -> None:
        menu = self.recent_menu
        wanted = [(entry.number, _recent_text(entry.display, entry.detail)) for entry in view.recent]
        shown = [(action.data(), action.text()) for action in menu.actions()]
        if wanted != shown:
            menu.clear()
            for number, text in wanted:
                action = QAction(text, menu)
                action.setData(number)
                menu.addAction(action)
        menu.setEnabled(bool(view.recent))
        for action in menu.actions():
            action.setEnabled(view.can_call)

    def _recent_chosen(self, action: QAction) -> None:
        self._vm.redial(str(action.data()))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A double click also sends Trigger first; toggling again would undo it.
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            self._vm.toggle_window()


def _recent_text(display: str, detail: str) -> str:
    # After a tab a menu right-aligns the text, in the column it uses for shortcuts.
    return f"{_escape(display)}\t{detail}" if detail else _escape(display)


def _escape(text: str) -> str:
    """Menu text treats & as a mnemonic marker; a literal one is doubled."""
    return text.replace("&", "&&")
