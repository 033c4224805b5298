"""The Preferences dialog's view model: a draft of `GeneralSettings`, and saving it.

    vm = PreferencesViewModel(settings.general, save=app.save_general, tray_available=TrayIcon.available())
    vm.set_option("close_to_tray", False)         # -> changed(PreferencesView)
    vm.save()                                     # -> saved(GeneralSettings) or save_failed(str)

`save(general)` is given by the app: it stores the settings and applies them; it may be a coroutine
function, and it may raise OSError when the settings file cannot be written. Nothing changes for
the rest of the app until it has succeeded.

Without a system tray the tray switches are shown off and cannot be changed, with the reason; the
stored values are kept, so they apply again on a desktop that has a tray.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QObject, Signal

from ringdesk.config import GeneralSettings
from ringdesk.errors import report
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.base import ViewModel

__all__ = ["NO_TRAY", "OPTIONS", "TRAY_OPTIONS", "PreferencesView", "PreferencesViewModel"]

_log = logging.getLogger("ringdesk.ui.preferences")

NO_TRAY: Final = "Your desktop has no system tray."
#: The switches, in the order the dialog shows them.
OPTIONS: Final = tuple(f.name for f in dataclasses.fields(GeneralSettings))
#: The switches that only mean something where the desktop has a tray.
TRAY_OPTIONS: Final = frozenset({"close_to_tray", "start_minimized"})

Saver = Callable[[GeneralSettings], Awaitable[None] | None]
Spawn = Callable[..., "asyncio.Task[Any]"]


@dataclass(frozen=True)
class PreferencesView:
    #: What the dialog edits; what was stored until `save` succeeds.
    draft: GeneralSettings
    tray_available: bool
    #: NO_TRAY without a tray, else "".
    tray_reason: str
    #: A save is under way: the switches and OK wait.
    saving: bool
    #: Why the last save failed, as one sentence; "" when it did not.
    problem: str

    def checked(self, option: str) -> bool:
        """What the switch `option` shows: a tray switch is off where there is no tray."""
        if option in TRAY_OPTIONS and not self.tray_available:
            return False
        return bool(getattr(self.draft, option))

    def enabled(self, option: str) -> bool:
        if self.saving:
            return False
        return self.tray_available or option not in TRAY_OPTIONS


class PreferencesViewModel(ViewModel[PreferencesView]):
    """Signals: `changed(PreferencesView)`; `saved(GeneralSettings)`; `save_failed(str)`."""

    saved = Signal(object)
    save_failed = Signal(str)

    def __init__(
        self,
        general: GeneralSettings,
        *,
        save: Saver,
        tray_available: bool,
        spawn: Spawn | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._draft = general
        self._save = save
        self._tray_available = tray_available
        self._spawn = spawn or qt_spawn
        self._saving = False
        self._problem = ""
        self._task: asyncio.Task[Any] | None = None
        self._view = self._make_view()

    # ------------------------------------------------------------------ intents

    def set_option(self, option: str, on: bool) -> None:
        """Switch `option` (a `GeneralSettings` field) on or off in the draft."""
        if option not in OPTIONS:
            raise ValueError(f"no such preference: {option}")
        if not self._view.enabled(option):
            return
        self._draft = dataclasses.replace(self._draft, **{option: on})
        self._publish()

    def save(self) -> None:
        """Hand the draft to the app; `saved` or `save_failed` follows."""
        if self._saving:
            return
        draft = self._draft
        self._problem = ""
        try:
            result = self._save(draft)
        except Exception as error:
            self._failed(error)
            return
        if inspect.isawaitable(result):
            self._saving = True
            self._publish()
            self._task = self._spawn(self._finish_save(draft, result), name="save preferences")
            return
        self._publish()
        self.saved.emit(draft)

    # ------------------------------------------------------------------ internals

    async def _finish_save(self, draft: GeneralSettings, pending: Awaitable[None]) -> None:
        try:
            await pending
        except Exception as error:
            self._saving = False
            self._failed(error)
            return
        finally:
            self._task = None
        self._saving = False
        self._publish()
        self.saved.emit(draft)

    def _failed(self, error: Exception) -> None:
        if isinstance(error, OSError):
            _log.warning("preferences could not be saved: %s", error)
            sentence = f"Your preferences could not be saved: {error.strerror or error}."
        else:
            sentence = report(error, context="saving preferences", logger=_log)
        self._problem = sentence
        self._publish()
        self.save_failed.emit(sentence)

    def _make_view(self) -> PreferencesView:
        return PreferencesView(
            draft=self._draft,
            tray_available=self._tray_available,
            tray_reason="" if self._tray_available else NO_TRAY,
            saving=self._saving,
            problem=self._problem,
        )
