"""RingDesk's icons, shipped inside the package and found with `importlib.resources`.

Reading them through the package (not a path relative to the source tree) finds them wherever
RingDesk runs from: the repository, an installed wheel or a frozen onedir bundle.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["icon_file"]


def icon_file(name: str) -> Path | None:
    """The SVG file of the icon `name`, or None when it is not on disk (a zipped install).

    Qt and the desktop's notification service take a file name, not bytes, so only a real file
    will do; without one the caller shows no icon rather than failing.
    """
    resource = files(__name__).joinpath("icons", f"{name}.svg")
    if isinstance(resource, Path) and resource.is_file():
        return resource
    return None
