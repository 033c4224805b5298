"""What a built RingDesk bundle contains: only what the app uses, and nothing the system provides.

Runs against the bundle named by `RINGDESK_BUNDLE` (`dist/ringdesk` after `scripts/package`, or
`/opt/ringdesk` once the .deb is installed: `scripts/check-package` does that); skipped without it.
The rules are `packaging/bundle_rules.py`, the same the spec builds by, so a hook, a PyInstaller
release or a new import that brings an unused Qt module, the phonenumbers geocoder data or a copy
of a system library back fails here, naming the file.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE_ENV = "RINGDESK_BUNDLE"


def _load_rules() -> ModuleType:
    # `packaging` is PyPI's package name too, so the rules are loaded from their file.
    spec = importlib.util.spec_from_file_location(
        "ringdesk_bundle_rules", REPO / "packaging" / "bundle_rules.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


rules = _load_rules()


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The bundle's folder (the one holding the `ringdesk` executable and `_internal`)."""
    value = os.environ.get(BUNDLE_ENV)
    if not value:
        pytest.skip(f"no built bundle: set {BUNDLE_ENV}=dist/ringdesk after scripts/package")
    folder = Path(value)
    if not (folder / "ringdesk").is_file() or not (folder / "_internal").is_dir():
        pytest.fail(f"{BUNDLE_ENV}={value} is not a RingDesk bundle (no ringdesk and _internal in it)")
    return folder


@pytest.fixture(scope="module")
def contents(bundle: Path) -> list[str]:
    """Every file and link under `_internal`, `/`-separated and relative to it."""
    internal = bundle / "_internal"
    return sorted(path.relative_to(internal).as_posix() for path in internal.rglob("*") if not path.is_dir())


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def test_nothing_refused_by_the_rules(bundle: Path, contents: list[str]) -> None:
    """No unused Qt module, plugin, translation or resource, and no phonenumbers geocoder data."""
    internal = bundle / "_internal"
    refused = {}
    for name in contents:
        path = internal / name
        # A link into the Qt folders is judged by what it points at.
        target = path.resolve().relative_to(internal.resolve()).as_posix() if path.is_symlink() else name
        reason = rules.refusal(target)
        if reason is not None:
            refused[name] = reason
    assert refused == {}, "\n".join(f"{name}: {reason}" for name, reason in refused.items())


def test_every_needed_part_is_there(bundle: Path, contents: list[str]) -> None:
    """What RingDesk cannot start without: the Qt libraries and plugins it uses, QtWebEngine's
    helper process, resources and en-US locale, the icons, keyring's metadata and backends."""
    present = set(contents)
    qt = "PySide6/Qt"
    expected = {
        *(f"{qt}/lib/lib{name}.so.6" for name in rules.QT_LIBRARIES),
        *(f"{qt}/plugins/{plugin}" for plugin in rules.QT_PLUGINS),
        *(f"{qt}/resources/{name}" for name in rules.WEBENGINE_RESOURCES),
        *(f"{qt}/translations/qtwebengine_locales/{name}" for name in rules.WEBENGINE_LOCALES),
        f"{qt}/libexec/QtWebEngineProcess",
        "ringdesk/resources/icons/ringdesk.svg",
        "ringdesk/resources/icons/tray-ready.svg",
    }
    assert sorted(expected - present) == []
    assert any(re.fullmatch(r"keyring-[\d.]+\.dist-info/entry_points\.txt", name) for name in contents), (
        "keyring's entry points are missing: the frozen app would find no keyring backend"
    )


def test_python_modules_the_app_loads_by_name(bundle: Path) -> None:
    """The modules found only by name at run time are in the archive: keyring's backends,
    jeepney, anyio's asyncio backend (which httpx's first request loads, and the platform client
    loads ahead), and uvicorn's loop, HTTP and websockets-sansio protocols; the geocoder is not."""
    archive = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller.utils.cliutils.archive_viewer",
            "--list",
            "--recursive",
            "--brief",
            str(bundle / "ringdesk"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"PyInstaller's archive viewer is not available here: {archive.stderr.strip()[-200:]}")
    modules = set(archive.stdout.split())
    needed = {
        "keyring.backends.SecretService",
        "keyring.backends.chainer",
        "secretstorage",
        "jeepney",
        "anyio._backends._asyncio",
        "cryptography",
        "uvicorn.loops.asyncio",
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.protocols.websockets.websockets_sansio_impl",
        "ringdesk.selftest",
        "phonenumbers.shortnumberinfo",
    }
    assert sorted(needed - modules) == []
    unused = {name for name in modules if name.split(".")[:2][-1] in rules.PHONENUMBERS_UNUSED}
    unused |= {name for name in modules if name.split(".")[0] in {"pytest", "_pytest", "yaml", "werkzeug"}}
    assert sorted(unused) == []


def test_no_system_library_copied(bundle: Path, contents: list[str]) -> None:
    """Every shared library in the bundle comes from the PySide6 wheel, a Python package or
    Python itself: one whose name is also a library of the system (in the dynamic linker's
    cache) is a copy of the build machine's, which the package must depend on instead."""
    internal = bundle / "_internal"
    # ldconfig lives in /sbin, which is not on a non-root user's PATH on Debian.
    ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin") or "ldconfig"
    linker_cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    system_names = {line.split()[0] for line in linker_cache.splitlines()[1:] if line.strip()}
    # Python's own library: a system may have one of the same name, but the bundle must carry its own.
    own = re.compile(r"^libpython3\.\d+\.so")
    copied = [
        name
        for name in contents
        if (internal / name).is_file()
        and _is_elf(internal / name)
        and Path(name).name in system_names
        and not own.match(Path(name).name)
    ]
    assert copied == [], f"system libraries copied into the bundle: {copied}"


def test_binaries_are_stripped(bundle: Path, contents: list[str]) -> None:
    """Symbols are of no use to an operator: no ELF file keeps a symbol table."""
    internal = bundle / "_internal"
    elf_files = [
        bundle / "ringdesk",
        *(internal / name for name in contents if not (internal / name).is_symlink()),
    ]
    unstripped = []
    for path in elf_files:
        if not path.is_file() or not _is_elf(path):
            continue
        sections = subprocess.run(
            ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=False
        )
        if " .symtab " in sections.stdout:
            unstripped.append(str(path.relative_to(bundle)))
    assert unstripped == []
