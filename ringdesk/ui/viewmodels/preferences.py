"""The Preferences dialog's view model: a draft of `GeneralSettings`, and saving it; how RingDesk
fits into the desktop (start at log-in, phone links, the dial shortcut).

    vm = PreferencesViewModel(settings.general, save=app.save_general, tray_available=TrayIcon.available(),
                              desktop=integration_for_this_system())
    vm.set_option("close_to_tray", False)         # -> changed(PreferencesView)
    vm.set_autostart(True)                        # part of the draft: applied by save()
    vm.make_default_for_links()                   # at once (a button, not a switch)
    vm.save()                                     # -> saved(GeneralSettings) or save_failed(str)

`save(general)` is given by the app: it stores the settings and applies them; it may be a coroutine
function, and it may raise OSError when the settings file cannot be written. Nothing changes for
the rest of the app until it has succeeded.

Without a system tray the tray switches are shown off and cannot be changed, with the reason; the
stored values are kept, so they apply again on a desktop that has a tray.

A switch the administrator locked (`locked`) shows the administrator's value and cannot be
changed, with `LOCKED_NOTE`; the draft keeps it as it is, and the settings keeper writes none of it
to the person's file.

The desktop is asked in the background when the dialog opens (its tools take a moment); its own
files are the truth about autostart, links and shortcuts, so nothing of that is kept in the
settings. Its calls block, so they run in a worker thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QObject, Signal

from ringdesk.config import LOCKED_NOTE, GeneralSettings
from ringdesk.desktop.integration import DEFAULT_DIAL_KEYS, DesktopIntegration
from ringdesk.errors import report
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.base import ViewModel

__all__ = ["NO_TRAY", "OPTIONS", "TRAY_OPTIONS", "DesktopView", "PreferencesView", "PreferencesViewModel"]

_log = logging.getLogger("ringdesk.ui.preferences")

NO_TRAY: Final = "Your desktop has no system tray."
#: The switches, in the order the dialog shows them.
OPTIONS: Final = tuple(f.name for f in dataclasses.fields(GeneralSettings))
#: The switches that only mean something where the desktop has a tray.
TRAY_OPTIONS: Final = frozenset({"close_to_tray", "start_minimized"})

Saver = Callable[[GeneralSettings], Awaitable[None] | None]
Spawn = Callable[..., "asyncio.Task[Any]"]


@dataclass(frozen=True)
class DesktopView:
    """Start at log-in, phone links and the dial shortcut, as the desktop says they are."""

    #: There is a desktop to ask (none in some tests and embeddings: the controls are hidden).
    available: bool = False
    #: The desktop has answered; until then the controls wait.
    loaded: bool = False
    #: RingDesk starts at log-in (the draft, applied by `save`).
    autostart: bool = False
    #: "Phone links open in GNOME Calls." / "Phone links open in RingDesk."
    links_line: str = ""
    #: tel: and callto: links open RingDesk already (the button is then not needed).
    links_ours: bool = False
    #: How to dial the highlighted text from anywhere, or which keys do it already.
    shortcut_line: str = ""
    #: The command to bind to a key by hand; "" when RingDesk's shortcut is there already.
    shortcut_command: str = ""
    #: The keys the "add shortcut" button binds, when this desktop lets RingDesk add one; else None.
    shortcut_offer: str | None = None
    #: A change is under way.
    busy: bool = False
    #: Why the last change did not happen, as one sentence; "".
    problem: str = ""


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
    desktop: DesktopView = DesktopView()
    #: The switches the administrator locked.
    locked: frozenset[str] = frozenset()

    def checked(self, option: str) -> bool:
        """What the switch `option` shows: a tray switch is off where there is no tray."""
        if option in TRAY_OPTIONS and not self.tray_available:
            return False
        return bool(getattr(self.draft, option))

    def enabled(self, option: str) -> bool:
        if self.saving or option in self.locked:
            return False
        return self.tray_available or option not in TRAY_OPTIONS

    def reason(self, option: str) -> str:
        """Why `option` cannot be changed, as a short sentence; "" when it can (or only while saving)."""
        if option in self.locked:
            return LOCKED_NOTE
        if option in TRAY_OPTIONS:
            return self.tray_reason
        return ""


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
        desktop: DesktopIntegration | None = None,
        dial_command: str = "ringdesk dial --selection",
        spawn: Spawn | None = None,
        locked: Collection[str] = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._locked = frozenset(locked)
        self._desktop = desktop
        self._dial_command = dial_command
        self._desktop_view = DesktopView(available=desktop is not None)
        #: Whether RingDesk starts at log-in now (the draft is in `_desktop_view`).
        self._autostart_now = False
        self._draft = general
        self._save = save
        self._tray_available = tray_available
        self._spawn = spawn or qt_spawn
        self._saving = False
        self._problem = ""
        self._task: asyncio.Task[Any] | None = None
        self._desktop_task: asyncio.Task[Any] | None = None
        self._view = self._make_view()
        if desktop is not None:
            self._desktop_task = self._spawn(self._ask_desktop(), name="ask the desktop")

    # ------------------------------------------------------------------ intents

    def set_option(self, option: str, on: bool) -> None:
        """Switch `option` (a `GeneralSettings` field) on or off in the draft."""
        if option not in OPTIONS:
            raise ValueError(f"no such preference: {option}")
        if not self._view.enabled(option):
            return
        self._draft = dataclasses.replace(self._draft, **{option: on})
        self._publish()

    def set_autostart(self, on: bool) -> None:
        """Start RingDesk at log-in (hidden in the tray), in the draft; `save` applies it."""
        if not self._desktop_view.loaded or self._saving:
            return
        self._desktop_view = dataclasses.replace(self._desktop_view, autostart=on)
        self._publish()

    def make_default_for_links(self) -> None:
        """Make tel:, callto: and sip: links open RingDesk (at once: the desktop's own setting)."""
        desktop = self._desktop
        if desktop is not None and not self._desktop_view.busy:
            self._change_desktop(desktop.make_default_for_links, "making RingDesk the default for links")

    def add_dial_shortcut(self) -> None:
        """Bind the offered keys to `ringdesk dial --selection` (at once)."""
        desktop, keys = self._desktop, self._desktop_view.shortcut_offer
        if desktop is not None and keys is not None and not self._desktop_view.busy:
            self._change_desktop(lambda: desktop.add_dial_shortcut(keys), "adding the dial shortcut")

    def close(self) -> None:
        """The dialog closed: stop asking the desktop."""
        if self._desktop_task is not None and not self._desktop_task.done():
            self._desktop_task.cancel()

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
        if self._desktop is not None and self._desktop_view.autostart != self._autostart_now:
            result = self._with_autostart(result, self._desktop_view.autostart)
        if inspect.isawaitable(result):
            self._saving = True
            self._publish()
            self._task = self._spawn(self._finish_save(draft, result), name="save preferences")
            return
        self._publish()
        self.saved.emit(draft)

    # ------------------------------------------------------------------ internals

    async def _with_autostart(self, saving: Awaitable[None] | None, on: bool) -> None:
        if inspect.isawaitable(saving):
            await saving
        assert self._desktop is not None
        await asyncio.to_thread(self._desktop.set_autostart, on)
        self._autostart_now = on

    async def _ask_desktop(self) -> None:
        desktop = self._desktop
        assert desktop is not None
        try:
            view = await asyncio.to_thread(self._read_desktop, desktop)
        except Exception as error:  # the questions never raise; a bug must not keep the dialog waiting
            report(error, context="asking the desktop", logger=_log)
            view = DesktopView(
                available=True,
                loaded=True,
                problem="RingDesk could not ask your desktop about these settings.",
            )
        self._autostart_now = view.autostart
        self._desktop_view = view
        self._publish()

    def _read_desktop(self, desktop: DesktopIntegration) -> DesktopView:
        """The desktop's answers, in the worker thread."""
        links = desktop.link_handlers()
        keys = desktop.dial_shortcut()
        shortcut_desktop = desktop.shortcut_desktop()
        if keys:
            shortcut_line = f"{keys} calls the number you highlight in any app."
        else:
            shortcut_line = (
                "To call a number you highlight in any app, bind this command to a key in your "
                "desktop's keyboard settings:"
            )
        if links.ours:
            links_line = "Phone links open in RingDesk."
        elif links.current == "Unknown":
            links_line = "Your desktop does not say which app opens phone links."
        elif links.current == "No app":
            links_line = "No app opens phone links yet."
        else:
            links_line = f"Phone links open in {links.current}."
        return DesktopView(
            available=True,
            loaded=True,
            autostart=desktop.autostart_enabled(),
            links_line=links_line,
            links_ours=links.ours,
            shortcut_line=shortcut_line,
            shortcut_command="" if keys else self._dial_command,
            shortcut_offer=DEFAULT_DIAL_KEYS if shortcut_desktop and not keys else None,
        )

    def _change_desktop(self, change: Callable[[], None], context: str) -> None:
        self._desktop_view = dataclasses.replace(self._desktop_view, busy=True, problem="")
        self._publish()
        self._desktop_task = self._spawn(self._run_desktop_change(change, context), name=context)

    async def _run_desktop_change(self, change: Callable[[], None], context: str) -> None:
        desktop = self._desktop
        assert desktop is not None
        problem = ""
        try:
            await asyncio.to_thread(change)
        except Exception as error:
            problem = report(error, context=context, logger=_log)
        try:
            view = await asyncio.to_thread(self._read_desktop, desktop)
        except Exception as error:  # the questions never raise; a bug must not leave the buttons off
            report(error, context="asking the desktop", logger=_log)
            view = dataclasses.replace(self._desktop_view, busy=False)
        # The autostart switch keeps what the person set in the draft.
        self._desktop_view = dataclasses.replace(
            view, autostart=self._desktop_view.autostart, problem=problem
        )
        self._publish()

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
            desktop=self._desktop_view,
            locked=self._locked,
        )
