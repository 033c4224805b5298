"""The settings in use and the settings file, kept in step: one typed method per section that changes.

    keeper = SettingsKeeper.load(path, environ=os.environ, demo=False)
    keeper.settings                       # in use now (file, then environment overrides)
    keeper.save_general(general)          # in use at once, and written to the file

Rules it keeps:

- Environment overrides (`RINGDESK_*`) are for this run only and never reach the file.
- What the administrator locked stays as they set it, in use too, whatever a caller passes; the
  file keeps the person's own value for it (unlocking brings that back), and a preset the person
  did not change stays out of the file (`LoadResult.for_file`).
- With `--demo` the connection and the phone choice belong to the demo account: they change
  in memory only, and the file keeps the person's own (the demo starts with no phone chosen).
  The administrator's locks on those two sections do not apply to the demo's: it reaches no real
  phone system and saves nothing of them; the locked preferences apply as always.
- A file that cannot be written raises `OSError`; the caller says so in words (the
  Preferences and Connection settings dialogs keep themselves open; elsewhere a status line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ringdesk.config import (
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    LoadResult,
    Settings,
    load_settings,
    save_settings,
)

__all__ = ["SettingsKeeper"]


class SettingsKeeper:
    """Owns the settings in use; every change goes through it and, where allowed, to the file."""

    def __init__(
        self, loaded: LoadResult, path: Path, *, demo_connection: ConnectionSettings | None = None
    ) -> None:
        self._loaded = loaded
        self.path = path
        self._demo = demo_connection is not None
        self.settings = loaded.settings
        if demo_connection is not None:
            self.settings = replace(self.settings, connection=demo_connection, dialer=DialerSettings())

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        environ: Mapping[str, str] | None = None,
        demo_connection: ConnectionSettings | None = None,
    ) -> SettingsKeeper:
        """Read the settings file (a damaged one is kept aside; see `problems`)."""
        return cls(load_settings(path, environ=environ), path, demo_connection=demo_connection)

    def locked_fields(self, section: str) -> frozenset[str]:
        """The field names of `section` the administrator locked, as the dialogs show them."""
        if self._demo and section != "general":
            return frozenset()
        return self._loaded.locked_fields(section)

    @property
    def problems(self) -> list[str]:
        """Sentences about the file and the environment overrides, for the window."""
        problems = list(self._loaded.problems)
        if self._loaded.overrides:
            problems.append("Set by the environment for this run: " + ", ".join(self._loaded.overrides) + ".")
        return problems

    def save_general(self, general: GeneralSettings) -> None:
        self._use(replace(self.settings, general=general))
        if self._demo:
            # The demo's connection and phone never reach the file: only this section does.
            self._save(replace(self._loaded.stored or Settings(), general=self.settings.general))
        else:
            self._save(self.settings)

    def save_dialer(self, dialer: DialerSettings) -> None:
        self._use(replace(self.settings, dialer=dialer))
        if not self._demo:
            self._save(self.settings)

    def save_connection(self, connection: ConnectionSettings) -> None:
        self._use(replace(self.settings, connection=connection))
        if not self._demo:
            self._save(self.settings)

    def _use(self, settings: Settings) -> None:
        """Put `settings` in use, with the locked fields as the administrator set them."""
        locked = self._loaded.enforce_locks(settings)
        if self._demo:
            # The demo's connection and phone are the demo account's (see the module docstring).
            locked = replace(locked, connection=settings.connection, dialer=settings.dialer)
        self.settings = locked

    def _save(self, settings: Settings) -> None:
        """Write `settings` without what is not the person's own (overrides, locks, presets)."""
        to_store, leave_out = self._loaded.for_file(settings)
        save_settings(to_store, self.path, leave_out=leave_out)
