"""Signing in without a browser: a JWT credential, or (when allowed) the legacy password.

A view of `SignInViewModel`'s unattended sign-in: it hands the fields to `sign_in_with_jwt` or
`sign_in_with_password` and follows the `busy`, `failed` and `succeeded` signals.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.viewmodels.sign_in import SignInViewModel
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, problem_style, spaced

__all__ = ["UnattendedSignInDialog"]


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
        jwt_box = self._build_jwt_box()

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        layout.addWidget(intro)
        layout.addWidget(jwt_box)

        self.password_box: QGroupBox | None = None
        if view_model.password_allowed:
            self.password_box = self._build_password_box()
            layout.addWidget(self.password_box)

        self._build_outcome_lines()
        layout.addWidget(self.error)
        layout.addWidget(self.activity)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        view_model.busy.connect(self._busy)
        view_model.failed.connect(self._failed)
        view_model.succeeded.connect(self._succeeded)
        self.setMinimumWidth(460)

    def _build_jwt_box(self) -> QGroupBox:
        """The JWT credential field, where it will be kept, and its sign-in button."""
        self.jwt = QLineEdit()
        self.jwt.setObjectName("jwt")
        self.jwt.setEchoMode(QLineEdit.EchoMode.Password)
        self.jwt.setPlaceholderText("eyJ\N{HORIZONTAL ELLIPSIS}")
        self.jwt.setAccessibleName("JWT credential")
        self.jwt.setClearButtonEnabled(True)
        jwt_label = QLabel("&JWT credential:")
        jwt_label.setBuddy(self.jwt)
        self.jwt_storage = QLabel(self._vm.secret_storage_note)
        self.jwt_storage.setObjectName("storage")
        self.jwt_storage.setWordWrap(True)
        self.sign_in_jwt = QPushButton("Sign in with JWT")
        self.sign_in_jwt.setObjectName("sign_in_jwt")
        self.sign_in_jwt.clicked.connect(self._submit_jwt)
        self.jwt.returnPressed.connect(self._submit_jwt)
        jwt_box = QGroupBox("JWT credential")
        jwt_form = spaced(QFormLayout(jwt_box), margin=INSET, gap=RELATED)
        jwt_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        jwt_form.addRow(jwt_label, self.jwt)
        jwt_form.addRow(self.jwt_storage)
        jwt_form.addRow(self.sign_in_jwt)
        return jwt_box

    def _build_outcome_lines(self) -> None:
        """The sentence of a refused sign-in, and "Signing in..." while one is under way; both hidden."""
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(problem_style(self.palette()))
        self.error.setAccessibleName("Sign-in problem")
        self.error.hide()
        self.activity = QLabel("Signing in\N{HORIZONTAL ELLIPSIS}")
        self.activity.hide()

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
        form = spaced(QFormLayout(box), margin=INSET, gap=RELATED)
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
