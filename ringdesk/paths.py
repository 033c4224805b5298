"""Where RingDesk keeps its files, per the platform's conventions (platformdirs).

`RINGDESK_HOME` moves every location under one folder: tests and portable installs use it so
nothing touches the user's real profile.

Everything RingDesk writes holds personal data (the numbers a person called, in the history, the
logs and the files set aside), so its own folders are 0700 and its files 0600: other accounts on
the machine can read none of it. `prepare_folders` makes and tightens the folders at start, and
tightens the files already in them (written by an older RingDesk, or copied in by hand).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "RingDesk"
APP_AUTHOR = "RingDesk"

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def log_file(self) -> Path:
        return self.log_dir / "ringdesk.log"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders RingDesk writes to (the cache is Qt's and holds no personal data)."""
        return (self.config_dir, self.data_dir, self.log_dir)


def app_paths() -> AppPaths:
    home = os.environ.get("RINGDESK_HOME")
    if home:
        root = Path(home)
        return AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
    return AppPaths(
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_log_dir),
        Path(dirs.user_cache_dir),
    )


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and missing parents) and make it 0700; raises OSError when impossible.

    Only `folder` itself is tightened: a parent such as ~/.config belongs to the person.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
    if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_FOLDER_MODE:
        folder.chmod(PRIVATE_FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create `path` empty as 0600 unless it exists, then make sure it is 0600; raises OSError.

    Created with the mode from the start (`os.open`), so the file is never readable by others,
    not even for a moment, whatever the process's umask.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE_MODE))
    tighten_file(path)


def tighten_file(path: Path) -> None:
    """Make an existing file 0600; a missing one, or one that is not ours to change, is left alone."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FILE_MODE:
            path.chmod(PRIVATE_FILE_MODE)


def prepare_folders(paths: AppPaths) -> list[str]:
    """Create RingDesk's folders 0700 and tighten the files in them to 0600; never raises.

    Returns a sentence for each folder that cannot be created or made private (a read-only
    home, a full disk): RingDesk still starts, keeps in memory what it cannot save, and says so.
    """
    problems: list[str] = []
    for folder in paths.folders:
        try:
            make_private_folder(folder)
        except OSError as error:
            reason = error.strerror.lower() if error.strerror else str(error)
            problems.append(f"RingDesk cannot save files in {folder} ({reason}).")
            continue
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.is_file() and not entry.is_symlink():
                    tighten_file(entry)
    return problems
