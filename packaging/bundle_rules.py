"""What the frozen RingDesk may contain: one list that the spec filters by and the bundle test checks.

`packaging/pyinstaller.spec` drops every collected file these rules refuse, and
`tests/packaging/test_bundle.py` lists a built bundle and fails on any file they refuse, so a
new hook, a new PyInstaller or a new import cannot bring unused parts back unnoticed.

The rules, and why:

- Qt libraries: only those RingDesk imports (QtCore, QtGui, QtWidgets, QtNetwork, QtWebEngineCore,
  QtWebEngineWidgets) and those they link against (`ldd libQt6WebEngineCore.so.6`: QtQuick, QtQml*,
  QtPositioning, QtWebChannel, QtOpenGL, QtDBus; QtWebEngineWidgets adds QtQuickWidgets and
  QtPrintSupport), plus what the kept plugins load (QtXcbQpa, QtWaylandClient, QtSvg).
- Qt plugins: the X11 and Wayland platforms with their GL integrations, SVG for the icons, the
  OpenSSL TLS backend for QtNetwork, the network-information backends behind
  `QNetworkInformation` reachability, the input contexts that typing needs (compose, IBus) and the
  portal theme (file dialogs, colour scheme on any desktop). Not GTK's theme: it would make GTK 3 a
  dependency of the package for nothing RingDesk shows.
- Translations: none of Qt's (RingDesk loads no QTranslator); of QtWebEngine's locales only en-US,
  the language of the sign-in window's own text.
- QtWebEngine's resources without the developer tools' pack (11 MiB for a console nobody opens).
- phonenumbers without its geocoder, carrier and time-zone data: RingDesk names regions from its
  own table (`ringdesk/regions.py`).
- No system library: what Debian provides (X11, GL, NSS, fontconfig, OpenSSL, SQLite...) is a
  dependency of the package, not a copy of the build machine's, which would also raise the glibc
  the bundle needs to the build machine's. Only what the PySide6 wheel and Python itself bring is
  bundled.
"""

from __future__ import annotations

import re
from typing import Final

#: Qt's shared libraries the bundle keeps (by name without `lib` and the `.so.6` suffix).
QT_LIBRARIES: Final = frozenset(
    {
        "Qt6Core",
        "Qt6Gui",
        "Qt6Widgets",
        "Qt6Network",
        "Qt6DBus",
        "Qt6OpenGL",
        "Qt6Svg",
        "Qt6XcbQpa",
        "Qt6WaylandClient",
        "Qt6Qml",
        "Qt6QmlMeta",
        "Qt6QmlModels",
        "Qt6QmlWorkerScript",
        "Qt6Quick",
        "Qt6QuickWidgets",
        "Qt6PrintSupport",
        "Qt6Positioning",
        "Qt6WebChannel",
        "Qt6WebEngineCore",
        "Qt6WebEngineWidgets",
    }
)
#: PySide6's Python modules the bundle keeps: what RingDesk imports and what those import when
#: loaded (`sys.modules` after `import PySide6.QtWebEngineWidgets, PySide6.QtNetwork`). PyInstaller's
#: hooks add a binding for every Qt library these link (QtQuick, QtOpenGL...: 11 MiB of Python
#: modules nobody imports); the libraries themselves stay in `QT_LIBRARIES`.
PYSIDE_MODULES: Final = frozenset(
    {
        "QtCore",
        "QtGui",
        "QtWidgets",
        "QtNetwork",
        "QtPrintSupport",
        "QtWebChannel",
        "QtWebEngineCore",
        "QtWebEngineWidgets",
    }
)
#: Qt plugins the bundle keeps, as `folder/file` under Qt's plugins folder.
QT_PLUGINS: Final = frozenset(
    {
        "platforms/libqxcb.so",
        "platforms/libqwayland.so",
        "xcbglintegrations/libqxcb-egl-integration.so",
        "xcbglintegrations/libqxcb-glx-integration.so",
        "wayland-shell-integration/libxdg-shell.so",
        "wayland-decoration-client/libbradient.so",
        "wayland-graphics-integration-client/libqt-plugin-wayland-egl.so",
        "wayland-graphics-integration-client/libshm-emulation-server.so",
        "imageformats/libqsvg.so",
        "iconengines/libqsvgicon.so",
        "tls/libqopensslbackend.so",
        "networkinformation/libqnetworkmanager.so",
        "networkinformation/libqglib.so",
        "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "platforminputcontexts/libibusplatforminputcontextplugin.so",
        "platformthemes/libqxdgdesktopportal.so",
    }
)
#: QtWebEngine's files in Qt's resources folder that the bundle keeps.
WEBENGINE_RESOURCES: Final = frozenset(
    {
        "icudtl.dat",
        "v8_context_snapshot.bin",
        "qtwebengine_resources.pak",
        "qtwebengine_resources_100p.pak",
        "qtwebengine_resources_200p.pak",
    }
)
#: QtWebEngine's locale packs the bundle keeps.
WEBENGINE_LOCALES: Final = frozenset({"en-US.pak"})
#: phonenumbers' data packages RingDesk never loads (about 45 MiB on disk, 19.5 MiB compiled).
PHONENUMBERS_UNUSED: Final = ("geodata", "carrierdata", "tzdata", "geocoder", "carrier", "timezone")
#: Python modules the analysis must leave out, for the spec's `excludes`.
EXCLUDED_MODULES: Final = [
    *(f"phonenumbers.{name}" for name in PHONENUMBERS_UNUSED),
    # Only in PyInstaller's view because uvicorn's hook collects every submodule; RingDesk's
    # simulator runs uvicorn with asyncio, h11 and websockets-sansio.
    "uvloop",
    "httptools",
    "wsproto",
    "watchfiles",
    # uvicorn reads a YAML logging configuration only when given one; RingDesk never does.
    "yaml",
    # Test and developer tools that are in the build's environment and reachable only through
    # test modules (jeepney's own tests import pytest) or optional paths.
    "pytest",
    "_pytest",
    "pytest_asyncio",
    "pytestqt",
    "werkzeug",
    "rich",
    "pygments",
    "pkg_resources",
    "setuptools",
    "openapi_core",
    "ringcentral",
    "IPython",
    "tkinter",
    # Line editing for interactive prompts (pdb, code): it would make libreadline a dependency.
    "readline",
]

_QT_LIBRARY = re.compile(r"^lib(Qt6[A-Za-z0-9]+)\.so(\.\d+)*$")
_PYSIDE_MODULE = re.compile(r"^(Qt[A-Za-z0-9]+)\.abi3\.so$")
#: Libraries from the PySide6 wheel that are not Qt modules but which Qt needs (Qt's own ICU).
_WHEEL_SUPPORT = re.compile(r"^lib(icudata|icui18n|icuuc)\.so\.\d+$")


def refusal(dest: str) -> str | None:
    """Why the file at `dest` (a path inside the bundle's `_internal`, `/`-separated) must not be
    in the bundle, or None when it may be. Only Qt's and phonenumbers' files are judged here;
    system libraries are judged by where they came from (`is_system_library`)."""
    parts = dest.split("/")
    name = parts[-1]
    if parts[0] == "phonenumbers" and len(parts) > 1 and parts[1].split(".")[0] in PHONENUMBERS_UNUSED:
        return "phonenumbers' geocoder, carrier and time-zone data are never loaded"
    if parts[0] != "PySide6":
        return None
    if len(parts) == 2:
        module = _PYSIDE_MODULE.match(name)
        if module and module.group(1) not in PYSIDE_MODULES:
            return f"PySide6.{module.group(1)} is not used"
        if name.startswith("libpyside6qml"):
            return "PySide6's QML support is only for PySide6.QtQml, which is not used"
        return None
    if len(parts) < 3 or parts[1] != "Qt":
        return None
    area = parts[2] if len(parts) > 3 else ""
    inside = "/".join(parts[3:])
    if area == "lib":
        library = _QT_LIBRARY.match(name)
        if library:
            return None if library.group(1) in QT_LIBRARIES else f"Qt module {library.group(1)} is not used"
        return None if _WHEEL_SUPPORT.match(name) else f"{name} is not needed by the Qt modules kept"
    if area == "plugins":
        return None if inside in QT_PLUGINS else f"Qt plugin {inside} is not used"
    if area == "translations":
        if inside.startswith("qtwebengine_locales/") and name in WEBENGINE_LOCALES:
            return None
        return f"translation {inside} is not used"
    if area == "resources":
        return None if inside in WEBENGINE_RESOURCES else f"QtWebEngine resource {inside} is not used"
    if area == "libexec":
        return None if inside == "QtWebEngineProcess" else f"Qt tool {inside} is not used"
    if area in ("qml", "metatypes", "include", "doc"):
        return f"Qt's {area} folder is not used"
    return None


def is_system_library(source: str, python_prefixes: tuple[str, ...]) -> bool:
    """True for a shared library that comes from the system, not from a Python package or from
    Python itself: its source path is outside every one of `python_prefixes` (the virtual
    environment's and the Python installation's folders)."""
    return not any(source.startswith(prefix.rstrip("/") + "/") for prefix in python_prefixes)
