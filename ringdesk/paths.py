"""Where RingDesk keeps its files, per the platform's conventions (platformdirs).

`RINGDESK_HOME` moves every location under one folder: tests and portable installs use it so
nothing touches the user's real profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "RingDesk"
APP_AUTHOR = "RingDesk"


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
