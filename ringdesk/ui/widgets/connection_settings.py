"""The connection settings dialog: server, app credentials, redirect URI and login method.

A pure view of `ConnectionViewModel`: every edit goes to the view model, and every refresh comes
from its `changed` signal. Problems are shown as sentences under the field they concern, and Save
stays disabled while there is any. Show it with `open()` (or `qtasync.open_dialog`), never `exec()`.

A setting the administrator locked is shown, disabled, with "Set by your administrator." under it
(and as its accessible description, for a screen reader).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.config import LOCKED_NOTE, LoginMethod, ServerKind
from ringdesk.ui.viewmodels.connection import ConnectionViewModel
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, TIGHT, problem_style, spaced

__all__ = ["ConnectionSettingsDialog"]

_NOTE_STYLE = "color: palette(placeholder-text);"


class _Field(QWidget):
    """An input with its problem sentence (and an optional note) right under it."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.problem = _wrapping_label(problem_style(self.palette()))
        self.problem.setObjectName("problem")
        self.note = _wrapping_label(_NOTE_STYLE)
        self.note.setObjectName("note")
        layout = spaced(QVBoxLayout(self), margin=0, gap=TIGHT)
        layout.addWidget(editor)
        layout.addWidget(self.problem)
        layout.addWidget(self.note)
        self.problem.hide()
        self.note.hide()
        self.setFocusProxy(editor)

    def show_problems(self, sentences: list[str]) -> None:
        text = " ".join(sentences)
        if text != self.problem.text():
            self.problem.setText(text)
        self.problem.setVisible(bool(text))
        # A screen reader reads the problem together with the field's name.
        self.editor.setAccessibleDescription(text)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))


def _wrapping_label(style: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if style:
        label.setStyleSheet(style)
    return label


class ConnectionSettingsDialog(QDialog):
    """Edit where and how RingDesk signs in. Accepts itself once the view model has saved."""

    def __init__(self, view_model: ConnectionViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectionSettingsDialog")
        self.setWindowTitle("Connection settings")
        self._vm = view_model
        self._refreshing = False
        self.labels: dict[str, QLabel] = {}
        # Whether the advanced fields had a problem at the last refresh (a new one opens them).
        self._advanced_problem = False

        intro = _wrapping_label()
        intro.setText("Where RingDesk signs in, and how.")
        self._build_server_field()
        self._build_app_fields()
        self._build_sign_in_fields()
        form = self._build_form()
        advanced = self._build_advanced()
        self.save_problem = _wrapping_label(problem_style(self.palette()))
        self.save_problem.setObjectName("save_problem")
        self.save_problem.hide()
        self.buttons = self._build_buttons()

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        # Qt's default constraint takes the minimum height at the narrowest width, where every
        # sentence wraps to many lines, leaving a tall empty dialog; `_fit_height` sets the floor
        # for the real width instead.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(advanced)
        layout.addWidget(self.save_problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self._connect_editors()
        view_model.changed.connect(self._refresh)
        view_model.saved.connect(self._saved)
        view_model.save_failed.connect(self._save_failed)

        self.setMinimumWidth(520)
        self._refresh()
        view_model.check_stored_secret()

    # ------------------------------------------------------------------ building

    def _build_server_field(self) -> None:
        """The server to sign in to, and the address of a custom one."""
        self.server = QComboBox()
        self.server.setObjectName("server")
        self.server.setAccessibleName("Server")
        for kind, label in self._vm.server_choices():
            self.server.addItem(label, kind.value)
        self.custom_url = QLineEdit()
        self.custom_url.setObjectName("custom_server_url")
        self.custom_url.setAccessibleName("Custom server address")
        self.custom_url.setPlaceholderText("https://platform.example.com")
        server_box = QWidget()
        server_layout = spaced(QVBoxLayout(server_box), margin=0, gap=TIGHT)
        server_layout.addWidget(self.server)
        server_layout.addWidget(self.custom_url)
        self.server_field = _Field(server_box)
        self.server_field.setFocusProxy(self.server)

    def _build_app_fields(self) -> None:
        """The app's client ID, and its client secret when it is a confidential app."""
        self.client_id = QLineEdit()
        self.client_id.setObjectName("client_id")
        self.client_id.setAccessibleName("Client ID")
        self.client_id_field = _Field(self.client_id)

        self.use_secret = QCheckBox("This app has a client s&ecret (confidential app)")
        self.use_secret.setObjectName("use_client_secret")
        self.client_secret = QLineEdit()
        self.client_secret.setObjectName("client_secret")
        self.client_secret.setAccessibleName("Client secret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        secret_box = QWidget()
        secret_layout = spaced(QVBoxLayout(secret_box), margin=0, gap=TIGHT)
        secret_layout.addWidget(self.use_secret)
        secret_layout.addWidget(self.client_secret)
        self.secret_field = _Field(secret_box)
        self.secret_field.setFocusProxy(self.use_secret)

    def _build_sign_in_fields(self) -> None:
        """The redirect URI and the login method."""
        self.redirect_uri = QLineEdit()
        self.redirect_uri.setObjectName("redirect_uri")
        self.redirect_uri.setAccessibleName("Redirect URI")
        self.redirect_field = _Field(self.redirect_uri)

        self.login_method = QComboBox()
        self.login_method.setObjectName("login_method")
        self.login_method.setAccessibleName("Sign-in method")
        self.login_field = _Field(self.login_method)

    def _build_advanced(self) -> QGroupBox:
        """What the administrator or the app's developer sets once: the app's identity, its
        redirect URI, the password grant. Folded away until asked for, or until one of them has
        a problem to fix."""
        self.allow_password = QCheckBox("Allow &password sign-in (the platform is retiring it)")
        self.allow_password.setObjectName("allow_password_grant")
        self.allow_password_note = _wrapping_label(_NOTE_STYLE)
        self.allow_password_note.setObjectName("allow_password_note")
        self.allow_password_note.hide()
        self.advanced = QGroupBox()
        self.advanced.setObjectName("advanced")
        advanced_layout = spaced(QVBoxLayout(self.advanced), margin=INSET, gap=RELATED)
        advanced_layout.addLayout(
            self._rows(
                ("client_id", "&Client ID:", self.client_id_field, self.client_id),
                ("client_secret", "Client secret:", self.secret_field, self.use_secret),
                ("redirect_uri", "Re&direct URI:", self.redirect_field, self.redirect_uri),
            )
        )
        advanced_layout.addWidget(self.allow_password)
        advanced_layout.addWidget(self.allow_password_note)
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setObjectName("advanced_toggle")
        self.advanced_toggle.setText("&Advanced: the app's client ID, secret and redirect URI")
        self.advanced_toggle.setToolTip("Set once by your administrator or the app's developer")
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.toggled.connect(self._show_advanced)
        self._show_advanced(False)
        return self.advanced

    def _build_form(self) -> QFormLayout:
        """What an operator chooses: the server and the way to sign in."""
        return self._rows(
            ("server", "Se&rver:", self.server_field, self.server),
            ("login_method", "Sign-in &method:", self.login_field, self.login_method),
        )

    def _rows(self, *rows: tuple[str, str, QWidget, QWidget]) -> QFormLayout:
        """Fields in rows, each with its label (and the label's mnemonic)."""
        form = spaced(QFormLayout(), margin=0, gap=RELATED)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for key, text, field, buddy in rows:
            row_label = QLabel(text)
            row_label.setBuddy(buddy)
            self.labels[key] = row_label
            form.addRow(row_label, field)
        return form

    def _show_advanced(self, shown: bool) -> None:
        if self.advanced_toggle.isChecked() != shown:
            self.advanced_toggle.setChecked(shown)  # comes back here through `toggled`
            return
        arrow = Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        self.advanced_toggle.setArrowType(arrow)
        self.advanced.setVisible(shown)
        QTimer.singleShot(0, lambda: self._fit_height(shrink=not shown))

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("save")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._vm.save)
        buttons.rejected.connect(self.reject)
        return buttons

    def _connect_editors(self) -> None:
        """Every edit goes to the view model; `_refresh` shows what it made of it."""
        vm = self._vm
        self.server.currentIndexChanged.connect(self._server_chosen)
        self.custom_url.textEdited.connect(vm.set_custom_server_url)
        self.client_id.textEdited.connect(vm.set_client_id)
        self.use_secret.toggled.connect(self._use_secret_toggled)
        self.client_secret.textEdited.connect(vm.set_client_secret)
        self.redirect_uri.textEdited.connect(vm.set_redirect_uri)
        self.login_method.currentIndexChanged.connect(self._login_method_chosen)
        self.allow_password.toggled.connect(self._allow_password_toggled)

    # ------------------------------------------------------------------ from the view model

    def _refresh(self) -> None:
        self._refreshing = True
        try:
            vm, draft = self._vm, self._vm.draft
            self._select(self.server, draft.server.value)
            self.custom_url.setVisible(draft.server is ServerKind.CUSTOM)
            _set_text(self.custom_url, draft.custom_server_url)
            _set_text(self.client_id, draft.client_id)
            self.use_secret.setChecked(draft.use_client_secret)
            self.client_secret.setEnabled(draft.use_client_secret)
            self.client_secret.setPlaceholderText(
                "Stored; type a new one to replace it" if vm.secret_stored else ""
            )
            _set_text(self.redirect_uri, draft.redirect_uri)
            self.redirect_uri.setEnabled(vm.uses_redirect_uri)
            self.labels["redirect_uri"].setEnabled(vm.uses_redirect_uri)
            choices = vm.login_method_choices()
            if [self.login_method.itemData(i) for i in range(self.login_method.count())] != [
                method.value for method, _ in choices
            ]:
                self.login_method.clear()
                for method, label in choices:
                    self.login_method.addItem(label, method.value)
            self._select(self.login_method, draft.login_method.value)
            self.allow_password.setChecked(draft.allow_password_grant)

            problems, notes = vm.problems(), vm.notes()
            advanced_problem = any(problems[n] for n in ("client_id", "client_secret", "redirect_uri"))
            if advanced_problem and not self._advanced_problem:
                # Folded away, a new problem could not be seen, let alone fixed.
                self._show_advanced(True)
            self._advanced_problem = advanced_problem
            secret_note = vm.secret_storage_note if draft.use_client_secret else ""
            redirect_note = "" if vm.uses_redirect_uri else "Not used by this sign-in method."
            for name, shown, control, note in (
                ("server", self.server_field, self.server, notes.get("server", "")),
                ("client_id", self.client_id_field, self.client_id, notes.get("client_id", "")),
                (
                    "client_secret",
                    self.secret_field,
                    self.use_secret,
                    _joined(notes.get("client_secret", ""), secret_note),
                ),
                (
                    "redirect_uri",
                    self.redirect_field,
                    self.redirect_uri,
                    _joined(notes.get("redirect_uri", ""), redirect_note),
                ),
                ("login_method", self.login_field, self.login_method, notes.get("login_method", "")),
            ):
                shown.show_problems(problems[name])
                shown.show_note(note)
                if vm.is_locked(name) and not problems[name]:
                    # A screen reader says why the control cannot be changed.
                    control.setAccessibleDescription(LOCKED_NOTE)
            allow_note = notes.get("allow_password_grant", "")
            self.allow_password_note.setText(allow_note)
            self.allow_password_note.setVisible(bool(allow_note))
            self.allow_password.setAccessibleDescription(allow_note)
            self.save_button.setEnabled(vm.can_save)
            for widget, setting in (
                (self.server, "server"),
                (self.custom_url, "custom_server_url"),
                (self.client_id, "client_id"),
                (self.use_secret, "use_client_secret"),
                (self.redirect_uri, "redirect_uri"),
                (self.login_method, "login_method"),
                (self.allow_password, "allow_password_grant"),
            ):
                widget.setEnabled(
                    not vm.is_busy
                    and not vm.is_locked(setting)
                    and (widget is not self.redirect_uri or vm.uses_redirect_uri)
                )
            self.client_secret.setEnabled(not vm.is_busy and draft.use_client_secret)
        finally:
            self._refreshing = False
        # Wrapped sentences change the height the dialog needs; grow so nothing is cut off.
        QTimer.singleShot(0, self._fit_height)

    def _fit_height(self, *, shrink: bool = False) -> None:
        layout = self.layout()
        # Wrapped sentences need the height for the actual width; sizeHint() guesses a narrower one.
        if layout is not None and layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(self.width())
        else:
            needed = self.sizeHint().height()
        self.setMinimumHeight(needed)
        if self.height() < needed or (shrink and self.height() > needed):
            self.resize(self.width(), needed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, lambda: self._fit_height(shrink=True))

    def _saved(self, _connection: object) -> None:
        self.client_secret.clear()
        self.accept()

    def _save_failed(self, sentence: str) -> None:
        self.save_problem.setText(sentence)
        self.save_problem.show()

    # ------------------------------------------------------------------ to the view model

    def _server_chosen(self, index: int) -> None:
        if not self._refreshing and index >= 0:
            self._vm.set_server(ServerKind(self.server.itemData(index)))

    def _login_method_chosen(self, index: int) -> None:
        if not self._refreshing and index >= 0:
            self._vm.set_login_method(LoginMethod(self.login_method.itemData(index)))

    def _use_secret_toggled(self, checked: bool) -> None:
        if not self._refreshing:
            self._vm.set_use_client_secret(checked)
            if checked:
                self.client_secret.setFocus()

    def _allow_password_toggled(self, checked: bool) -> None:
        if not self._refreshing:
            self._vm.set_allow_password_grant(checked)

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        if index != combo.currentIndex():
            combo.setCurrentIndex(index)


def _joined(*notes: str) -> str:
    return " ".join(note for note in notes if note)


def _set_text(editor: QLineEdit, text: str) -> None:
    # Setting the same text again would move the cursor to the end while the person types.
    if editor.text() != text:
        editor.setText(text)
