"""The Preferences dialog: start-up, tray, phone links, the dial shortcut and notifications.

A pure view of `PreferencesViewModel`; show it with `open()` (or `qtasync.open_dialog`), never `exec()`.

OK hands the switches to the view model, which saves them; the dialog closes once that succeeded
and shows the sentence in it when it did not. Cancel (or Esc) leaves everything as it was.

A switch the administrator locked is disabled, with "Set by your administrator." under it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.viewmodels.preferences import TRAY_OPTIONS, PreferencesView, PreferencesViewModel
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, problem_style, spaced

__all__ = ["PreferencesDialog"]

# (option, label with its mnemonic) per group, in the order shown.
_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Start-up", (("ask_to_sign_in_at_start", "&Ask me to sign in when RingDesk starts"),)),
    (
        "Tray",
        (
            ("close_to_tray", "&Keep running in the tray when the window is closed"),
            ("start_minimized", "&Start in the tray, with the window hidden"),
        ),
    ),
    ("Phone links", (("call_links_at_once", "&Call at once, after a 3-second countdown you can cancel"),)),
    (
        "Notifications",
        (
            ("notify_connected", "When a call c&onnects"),
            ("notify_failed", "When a call &fails, with the reason"),
            ("notify_ended", "When a call &ends, with how long it lasted"),
        ),
    ),
)


class PreferencesDialog(QDialog):
    """`switches[option]` is the check box for each `GeneralSettings` field; `autostart` starts
    RingDesk at log-in (the desktop's setting, not RingDesk's)."""

    def __init__(self, view_model: PreferencesViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PreferencesDialog")
        self.setWindowTitle("Preferences")
        self._vm = view_model
        self.switches: dict[str, QCheckBox] = {}
        #: Under each switch, shown when the administrator locked it.
        self.locked_notes: dict[str, QLabel] = {}

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        self._build_switch_groups(layout)
        self.problem = _note()
        self.problem.setObjectName("problem")
        self.problem.setStyleSheet(problem_style(self.palette()))
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self._build_buttons())

        view_model.changed.connect(self._render)
        view_model.saved.connect(self._saved)
        self.finished.connect(lambda _result: view_model.close())
        self.setMinimumWidth(440)
        self._render(view_model.view)

    def _build_switch_groups(self, layout: QVBoxLayout) -> None:
        """A box of switches per group of `_GROUPS`, added to `layout`, with the notes under two of them."""
        # The lambdas below hold the view model, not the dialog: one holding the dialog inside its own
        # child's connection would be a cycle the garbage collector cannot see.
        view_model = self._vm
        groups: dict[str, QVBoxLayout] = {}
        for title, options in _GROUPS:
            box = QGroupBox(title)
            box_layout = spaced(QVBoxLayout(box), margin=INSET, gap=RELATED)
            groups[title] = box_layout
            for option, label in options:
                switch = QCheckBox(label)
                switch.setObjectName(option)
                switch.setAccessibleName(label.replace("&", ""))
                # Bound to the option by name; `toggled` fires only for a person's click or key here,
                # because `_render` blocks signals while it sets the boxes.
                switch.toggled.connect(lambda on, name=option: view_model.set_option(name, on))
                box_layout.addWidget(switch)
                self.switches[option] = switch
                locked_note = _note()
                locked_note.setObjectName(f"{option}_locked")
                locked_note.hide()
                box_layout.addWidget(locked_note)
                self.locked_notes[option] = locked_note
            layout.addWidget(box)

        self.autostart = QCheckBox("Start RingDesk &when I log in, in the tray")
        self.autostart.setObjectName("autostart")
        self.autostart.setAccessibleName("Start RingDesk when I log in, in the tray")
        self.autostart.toggled.connect(view_model.set_autostart)
        groups["Start-up"].addWidget(self.autostart)

        self.tray_reason = _note()
        self.tray_reason.setObjectName("trayReason")
        groups["Tray"].addWidget(self.tray_reason)

        self.links_line = _note()
        self.links_line.setObjectName("linksLine")
        self.make_default_button = QPushButton("Make RingDesk the &default for phone links")
        self.make_default_button.clicked.connect(view_model.make_default_for_links)
        # Enter in the dialog means OK, wherever the focus is.
        self.make_default_button.setAutoDefault(False)
        groups["Phone links"].addLayout(_row(self.links_line, self.make_default_button))

        shortcut_box = QGroupBox("Dial from anywhere")
        shortcut_layout = spaced(QVBoxLayout(shortcut_box), margin=INSET, gap=RELATED)
        self.shortcut_line = _note()
        self.shortcut_line.setObjectName("shortcutLine")
        # The command, to be copied into the desktop's keyboard settings: a read-only field
        # selects and copies it whole, however long its path is.
        self.shortcut_command = QLineEdit()
        self.shortcut_command.setObjectName("shortcutCommand")
        self.shortcut_command.setReadOnly(True)
        self.shortcut_command.setAccessibleName("The command to bind to a key")
        self.add_shortcut_button = QPushButton()
        self.add_shortcut_button.clicked.connect(view_model.add_dial_shortcut)
        self.add_shortcut_button.setAutoDefault(False)
        shortcut_layout.addWidget(self.shortcut_line)
        shortcut_layout.addWidget(self.shortcut_command)
        shortcut_layout.addWidget(self.add_shortcut_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.desktop_problem = _note()
        self.desktop_problem.setObjectName("desktopProblem")
        self.desktop_problem.setStyleSheet(problem_style(self.palette()))
        shortcut_layout.addWidget(self.desktop_problem)
        self.shortcut_box = shortcut_box
        # Between the phone links and the notifications.
        layout.insertWidget(layout.count() - 1, shortcut_box)
        notifications_note = _note("Shown while the RingDesk window is not the one in front.")
        notifications_note.setObjectName("notificationsNote")
        groups["Notifications"].addWidget(notifications_note)

    def _build_buttons(self) -> QDialogButtonBox:
        """OK, which saves (and stays disabled while saving), and Cancel."""
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self._vm.save)
        self.buttons.rejected.connect(self.reject)
        return self.buttons

    def _render(self, view: PreferencesView) -> None:
        for option, switch in self.switches.items():
            switch.blockSignals(True)
            switch.setChecked(view.checked(option))
            switch.blockSignals(False)
            switch.setEnabled(view.enabled(option))
            # A screen reader says why a switch cannot be changed.
            if option in TRAY_OPTIONS or option in view.locked:
                switch.setAccessibleDescription(view.reason(option))
            locked_note = self.locked_notes[option]
            locked_note.setText(view.reason(option) if option in view.locked else "")
            locked_note.setVisible(option in view.locked)
        self.tray_reason.setText(view.tray_reason)
        self.tray_reason.setVisible(bool(view.tray_reason))
        self.problem.setText(view.problem)
        self.problem.setVisible(bool(view.problem))
        self.ok_button.setEnabled(not view.saving)
        self._render_desktop(view)

    def _render_desktop(self, view: PreferencesView) -> None:
        desktop = view.desktop
        for part in (self.autostart, self.links_line, self.shortcut_box):
            part.setVisible(desktop.available)
        if not desktop.available:
            self.make_default_button.setVisible(False)
            return
        waiting = "Asking your desktop\N{HORIZONTAL ELLIPSIS}"
        self.autostart.blockSignals(True)
        self.autostart.setChecked(desktop.autostart)
        self.autostart.blockSignals(False)
        self.autostart.setEnabled(desktop.loaded and not view.saving)
        self.links_line.setText(desktop.links_line if desktop.loaded else waiting)
        self.make_default_button.setVisible(not desktop.links_ours)
        self.make_default_button.setEnabled(desktop.loaded and not desktop.busy)
        self.shortcut_line.setText(desktop.shortcut_line if desktop.loaded else waiting)
        self.shortcut_command.setText(desktop.shortcut_command)
        self.shortcut_command.setCursorPosition(0)
        self.shortcut_command.setVisible(bool(desktop.shortcut_command))
        offer = desktop.shortcut_offer
        self.add_shortcut_button.setVisible(offer is not None)
        if offer is not None:
            self.add_shortcut_button.setText(f"Add the s&hortcut {offer}")
        self.add_shortcut_button.setEnabled(not desktop.busy)
        self.desktop_problem.setText(desktop.problem)
        self.desktop_problem.setVisible(bool(desktop.problem))
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        """The desktop's answers come after the dialog is shown and may wrap onto more lines:
        the dialog grows so that none is cut off (it never shrinks under the person's hand)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        if layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(self.width())
        else:
            needed = layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def _saved(self, _general: object) -> None:
        self.accept()


def _row(note: QLabel, button: QPushButton) -> QVBoxLayout:
    """A sentence over the whole width, and the button that acts on it under it, on the left:
    a wrapped sentence beside a button would leave the sentence too narrow to read."""
    row = spaced(QVBoxLayout(), margin=0, gap=RELATED)
    row.addWidget(note)
    row.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
    return row


def _note(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label
