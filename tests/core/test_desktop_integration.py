"""Desktop integration: the freedesktop tools run for real (xdg-mime, desktop-file-validate,
update-desktop-database, gsettings with GNOME's schema) on XDG folders in tmp_path, never the
real profile. Windows and macOS are tested only where no operating system is involved.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ringdesk.desktop import integration
from ringdesk.desktop.integration import (
    IntegrationError,
    KeyCombination,
    LinkHandlers,
    integration_for_this_system,
    launch_command,
    write_file_atomically,
)
from ringdesk.desktop.macos import INFO_PLIST_URL_TYPES, MacIntegration, launch_agent_plist
from ringdesk.desktop.windows import windows_command_line
from ringdesk.desktop.xdg import (
    GNOME_CUSTOM_KEYBINDING,
    GNOME_DIAL_PATH,
    GNOME_MEDIA_KEYS,
    FreedesktopIntegration,
    autostart_entry,
    desktop_entry,
    dial_shortcut_entry,
    exec_arguments,
    exec_value,
    read_desktop_entry,
)

COMMAND = (sys.executable, "-m", "ringdesk")
#: A command with every character the Desktop Entry specification makes special.
AWKWARD_COMMAND = ('/opt/Ring Desk/100% $HOME/bin\\x/ring"desk`', "--flag=a;b", "it's")
SETUP = "installed by scripts/setup --test"


def needs(*tools: str) -> pytest.MarkDecorator:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)} ({SETUP})")


def system_schema_folder() -> Path | None:
    """The system's compiled GSettings schemas: the tests' XDG_DATA_DIRS hides them from gsettings."""
    for folder in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        schemas = Path(folder, "glib-2.0", "schemas")
        if (schemas / "gschemas.compiled").is_file():
            return schemas
    return None


def gnome_schema_installed() -> bool:
    schemas = system_schema_folder()
    if shutil.which("gsettings") is None or schemas is None:
        return False
    found = subprocess.run(
        ["gsettings", "list-schemas"],
        env={**os.environ, "GSETTINGS_SCHEMA_DIR": str(schemas)},
        capture_output=True,
        text=True,
        check=False,
    )
    return GNOME_MEDIA_KEYS in found.stdout.split()


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """XDG folders in tmp_path, an unknown desktop (xdg-mime then writes mimeapps.list), and
    gsettings on a key file there: nothing reaches the real profile, dconf or a session bus."""
    folders = {
        "HOME": "home",
        "XDG_DATA_HOME": "data",
        "XDG_CONFIG_HOME": "config",
        "XDG_DATA_DIRS": "system-data",
        "XDG_CONFIG_DIRS": "system-config",
    }
    env = {variable: str(tmp_path / folder) for variable, folder in folders.items()}
    for folder in folders.values():
        (tmp_path / folder).mkdir()
    env.update(
        PATH=os.environ.get("PATH", os.defpath),
        LANG="C.UTF-8",
        XDG_CURRENT_DESKTOP="X-Generic",
        GSETTINGS_BACKEND="keyfile",
    )
    return env


def desktop(environ: dict[str, str], command: tuple[str, ...] = COMMAND) -> FreedesktopIntegration:
    made = integration_for_this_system(command, environ=environ)
    assert isinstance(made, FreedesktopIntegration)
    return made


def validate(path: Path) -> None:
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def run(arguments: list[str], environ: dict[str, str]) -> str:
    return subprocess.run(arguments, env=environ, capture_output=True, text=True, check=True).stdout.strip()


# Desktop entries


@needs("desktop-file-validate")
@pytest.mark.parametrize("command", [COMMAND, AWKWARD_COMMAND], ids=["python", "awkward"])
def test_every_entry_passes_desktop_file_validate(tmp_path: Path, command: tuple[str, ...]) -> None:
    entries = {
        "ringdesk.desktop": desktop_entry(command),
        "autostart.desktop": autostart_entry(command),
        "hidden.desktop": autostart_entry(command, hidden=True),
        "ringdesk-dial.desktop": dial_shortcut_entry(command),
    }
    for name, text in entries.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        validate(tmp_path / name)


@pytest.mark.parametrize("command", [COMMAND, AWKWARD_COMMAND], ids=["python", "awkward"])
def test_exec_lines_run_exactly_the_command(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = tmp_path / "ringdesk.desktop"
    path.write_text(desktop_entry(command), encoding="utf-8")
    entry = read_desktop_entry(path)
    assert entry is not None
    assert exec_arguments(entry["Exec"]) == list(command)
    assert entry["TryExec"] == command[0]
    actions = path.read_text(encoding="utf-8").split("[Desktop Action ")[1:]
    action_commands = {action.split("]")[0]: exec_arguments(_unescaped_exec(action)) for action in actions}
    assert action_commands == {
        "show": [*command, "show"],
        "dial-selection": [*command, "dial", "--selection"],
        "quit": [*command, "quit"],
    }


def _unescaped_exec(group: str) -> str:
    (line,) = [line for line in group.splitlines() if line.startswith("Exec=")]
    return line.removeprefix("Exec=").replace("\\\\", "\\")


def test_exec_value_quotes_reserved_characters_and_doubles_percent() -> None:
    assert exec_value(["/usr/bin/ringdesk"], field_code="%u") == "/usr/bin/ringdesk %u"
    assert exec_value(["/opt/My App/ringdesk", "100%"]) == '"/opt/My App/ringdesk" 100%%'
    # The quoting layer escapes $ and the backslash; the string layer doubles that backslash again.
    assert exec_value(["/a$b\\c"]) == '"/a\\\\$b\\\\\\\\c"'


def test_the_main_entry_declares_what_the_desktop_needs(tmp_path: Path) -> None:
    path = tmp_path / "ringdesk.desktop"
    path.write_text(desktop_entry(COMMAND), encoding="utf-8")
    entry = read_desktop_entry(path)
    assert entry is not None
    assert entry["MimeType"] == "x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;"
    assert entry["Icon"] == "ringdesk"
    assert entry["StartupWMClass"] == "RingDesk"
    assert entry["Categories"] == "Network;Telephony;"
    assert entry["Exec"].endswith(" %u")


# Phone links


@needs("xdg-mime", "update-desktop-database")
def test_make_default_for_links_installs_the_entry_and_becomes_the_default(
    environ: dict[str, str], tmp_path: Path
) -> None:
    integration = desktop(environ)
    assert integration.link_handlers() == LinkHandlers(ours=False, current="No app")

    integration.make_default_for_links()

    entry = tmp_path / "data" / "applications" / "ringdesk.desktop"
    assert read_desktop_entry(entry) == read_desktop_entry(_written(tmp_path, desktop_entry(COMMAND)))
    assert (tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "ringdesk.svg").is_file()
    assert "x-scheme-handler/tel=ringdesk.desktop" in (
        tmp_path / "data" / "applications" / "mimeinfo.cache"
    ).read_text(encoding="utf-8")
    mimeapps = (tmp_path / "config" / "mimeapps.list").read_text(encoding="utf-8")
    for scheme in ("tel", "callto", "sip"):
        assert f"x-scheme-handler/{scheme}=ringdesk.desktop" in mimeapps
    assert run(["xdg-mime", "query", "default", "x-scheme-handler/callto"], environ) == "ringdesk.desktop"
    assert integration.link_handlers() == LinkHandlers(ours=True, current="RingDesk")
    assert not [path for path in entry.parent.iterdir() if path.name.endswith(".tmp")]


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expected.desktop"
    path.write_text(text, encoding="utf-8")
    return path


@needs("xdg-mime")
def test_another_default_app_is_named_until_ringdesk_takes_over(
    environ: dict[str, str], tmp_path: Path
) -> None:
    calls = tmp_path / "system-data" / "applications" / "org.gnome.Calls.desktop"
    calls.parent.mkdir(parents=True)
    # xdg-mime only reports an app whose program exists.
    calls.write_text(
        "[Desktop Entry]\nType=Application\nName=GNOME Calls\nExec=/bin/true %u\n"
        "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;\n",
        encoding="utf-8",
    )
    run(["xdg-mime", "default", "org.gnome.Calls.desktop", "x-scheme-handler/tel"], environ)
    integration = desktop(environ)
    assert integration.link_handlers() == LinkHandlers(ours=False, current="GNOME Calls")

    integration.make_default_for_links()

    assert integration.link_handlers() == LinkHandlers(ours=True, current="RingDesk")


@needs("xdg-mime")
def test_a_system_entry_that_starts_this_ringdesk_is_used_as_it_is(
    environ: dict[str, str], tmp_path: Path
) -> None:
    system_entry = tmp_path / "system-data" / "applications" / "ringdesk.desktop"
    system_entry.parent.mkdir(parents=True)
    system_entry.write_text(desktop_entry(COMMAND), encoding="utf-8")
    integration = desktop(environ)

    integration.make_default_for_links()

    assert not (tmp_path / "data" / "applications" / "ringdesk.desktop").exists()
    assert integration.link_handlers() == LinkHandlers(ours=True, current="RingDesk")


@needs("xdg-mime")
def test_a_system_entry_of_another_ringdesk_gets_a_user_entry_in_front(
    environ: dict[str, str], tmp_path: Path
) -> None:
    system_entry = tmp_path / "system-data" / "applications" / "ringdesk.desktop"
    system_entry.parent.mkdir(parents=True)
    system_entry.write_text(desktop_entry(("/bin/true",)), encoding="utf-8")
    run(
        ["xdg-mime", "default", "ringdesk.desktop", "x-scheme-handler/tel", "x-scheme-handler/callto"],
        environ,
    )
    integration = desktop(environ)
    assert not integration.link_handlers().ours

    integration.make_default_for_links()

    assert (tmp_path / "data" / "applications" / "ringdesk.desktop").is_file()
    assert integration.link_handlers().ours


def test_without_xdg_utils_the_sentence_says_what_to_install(environ: dict[str, str], tmp_path: Path) -> None:
    environ["PATH"] = str(tmp_path / "empty")
    integration = desktop(environ)

    assert integration.link_handlers() == LinkHandlers(ours=False, current="Unknown")
    with pytest.raises(IntegrationError) as raised:
        integration.make_default_for_links()
    assert "install" in raised.value.user_message and "xdg-utils" in raised.value.user_message


# Autostart


@needs("desktop-file-validate")
def test_autostart_is_a_file_that_starts_ringdesk_minimized(environ: dict[str, str], tmp_path: Path) -> None:
    integration = desktop(environ)
    entry = tmp_path / "config" / "autostart" / "ringdesk.desktop"
    assert not integration.autostart_enabled()

    integration.set_autostart(True)

    assert integration.autostart_enabled()
    validate(entry)
    read = read_desktop_entry(entry)
    assert read is not None
    assert exec_arguments(read["Exec"]) == [*COMMAND, "--minimized"]
    assert read["X-GNOME-Autostart-enabled"] == "true"

    integration.set_autostart(False)

    assert not entry.exists()
    assert not integration.autostart_enabled()
    integration.set_autostart(False)  # Already off: nothing to do, no error.


def test_turning_off_a_system_wide_autostart_leaves_a_hidden_copy(
    environ: dict[str, str], tmp_path: Path
) -> None:
    system_entry = tmp_path / "system-config" / "autostart" / "ringdesk.desktop"
    system_entry.parent.mkdir(parents=True)
    system_entry.write_text(autostart_entry(COMMAND), encoding="utf-8")
    integration = desktop(environ)
    assert integration.autostart_enabled()

    integration.set_autostart(False)

    hidden = read_desktop_entry(tmp_path / "config" / "autostart" / "ringdesk.desktop")
    assert hidden is not None and hidden["Hidden"] == "true"
    assert not integration.autostart_enabled()
    assert system_entry.is_file()

    integration.set_autostart(True)

    assert integration.autostart_enabled()


def test_an_autostart_entry_turned_off_in_gnome_counts_as_off(
    environ: dict[str, str], tmp_path: Path
) -> None:
    integration = desktop(environ)
    integration.set_autostart(True)
    entry = tmp_path / "config" / "autostart" / "ringdesk.desktop"
    entry.write_text(
        entry.read_text(encoding="utf-8").replace(
            "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"
        ),
        encoding="utf-8",
    )

    assert not integration.autostart_enabled()


# The dial shortcut

needs_gnome_schema = pytest.mark.skipif(
    not gnome_schema_installed(), reason=f"needs gsettings and gnome-settings-daemon-common ({SETUP})"
)


@pytest.fixture
def gnome(environ: dict[str, str]) -> dict[str, str]:
    """`environ` of a GNOME session whose gsettings sees the system's schemas."""
    environ.update(XDG_CURRENT_DESKTOP="ubuntu:GNOME", GSETTINGS_SCHEMA_DIR=str(system_schema_folder()))
    return environ


@needs_gnome_schema
def test_gnome_shortcut_is_added_beside_the_persons_own(gnome: dict[str, str], tmp_path: Path) -> None:
    environ = gnome
    theirs = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"
    run(["gsettings", "set", GNOME_MEDIA_KEYS, "custom-keybindings", f"['{theirs}']"], environ)
    integration = desktop(environ)
    assert integration.shortcut_desktop() == "GNOME"
    assert integration.dial_shortcut() is None

    integration.add_dial_shortcut()

    ours = f"{GNOME_CUSTOM_KEYBINDING}:{GNOME_DIAL_PATH}"
    assert run(["gsettings", "get", GNOME_MEDIA_KEYS, "custom-keybindings"], environ) == (
        f"['{theirs}', '{GNOME_DIAL_PATH}']"
    )
    assert run(["gsettings", "get", ours, "binding"], environ) == "'<Super><Shift>d'"
    command = run(["gsettings", "get", ours, "command"], environ)
    assert shlex.split(command.strip("'")) == [*COMMAND, "dial", "--selection"]
    assert integration.dial_shortcut() == "Super+Shift+D"
    # The settings went to the key file in the test's folder, not to dconf.
    assert "ringdesk-dial" in (tmp_path / "config" / "glib-2.0" / "settings" / "keyfile").read_text()

    integration.add_dial_shortcut("Ctrl+Alt+P")

    assert run(["gsettings", "get", GNOME_MEDIA_KEYS, "custom-keybindings"], environ) == (
        f"['{theirs}', '{GNOME_DIAL_PATH}']"
    )
    assert integration.dial_shortcut() == "Ctrl+Alt+P"


@needs_gnome_schema
def test_gnome_shortcut_command_survives_quotes_and_spaces(gnome: dict[str, str]) -> None:
    environ = gnome
    integration = desktop(environ, AWKWARD_COMMAND)

    integration.add_dial_shortcut()

    text = run(["gsettings", "get", f"{GNOME_CUSTOM_KEYBINDING}:{GNOME_DIAL_PATH}", "command"], environ)
    assert shlex.split(_gvariant_text(text)) == [*AWKWARD_COMMAND, "dial", "--selection"]


def _gvariant_text(text: str) -> str:
    import ast

    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def test_no_shortcut_where_the_desktop_is_not_gnome_or_plasma(environ: dict[str, str]) -> None:
    integration = desktop(environ)
    assert integration.shortcut_desktop() is None
    assert integration.dial_shortcut() is None
    with pytest.raises(IntegrationError) as raised:
        integration.add_dial_shortcut()
    assert "dial --selection" in raised.value.user_message


def test_plasma_without_its_config_tools_offers_no_shortcut(environ: dict[str, str], tmp_path: Path) -> None:
    environ.update(XDG_CURRENT_DESKTOP="KDE", PATH=str(tmp_path / "empty"))
    assert desktop(environ).shortcut_desktop() is None


def test_key_combinations_convert_between_the_desktops_forms() -> None:
    combination = KeyCombination.parse("super+shift+d")
    assert str(combination) == "Super+Shift+D"
    assert combination.gtk() == "<Super><Shift>d"
    assert combination.qt() == "Meta+Shift+D"
    assert str(KeyCombination.parse("Shift+Meta+D")) == "Super+Shift+D"
    assert KeyCombination.parse("Ctrl+Alt+F5").gtk() == "<Control><Alt>F5"
    assert str(KeyCombination.parse("F9")) == "F9"
    assert KeyCombination.from_gtk("<Primary><Alt>p") == KeyCombination.parse("Ctrl+Alt+P")
    assert KeyCombination.from_gtk("") is None


@pytest.mark.parametrize("keys", ["", "D", "Shift+D", "Hyper+D", "Super+Shift+", "Super+Enter", "Super+ä"])
def test_unusable_key_combinations_are_refused_in_words(keys: str) -> None:
    with pytest.raises(IntegrationError) as raised:
        KeyCombination.parse(keys)
    assert "Super+Shift+D" in raised.value.user_message


# The launch command and writing files


def test_launch_command_is_this_ringdesk() -> None:
    command = launch_command()
    if command[0] == sys.executable:
        assert command == (sys.executable, "-m", "ringdesk")
    else:
        # The installed script, whose first line names this very Python.
        (script,) = command
        assert Path(script).is_absolute() and Path(script).name == "ringdesk"
        assert integration._runs_this_python(Path(script))


def test_a_frozen_build_is_its_own_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert launch_command() == (sys.executable,)


def test_only_a_script_for_this_python_is_taken(tmp_path: Path) -> None:
    this = Path(sys.executable)
    long_form = tmp_path / "long"
    long_form.write_text(f"#!/bin/sh\n'''exec' \"{this}\" \"$0\" \"$@\"\n' '''\nimport sys\n")
    assert integration._runs_this_python(long_form)
    other_environment = tmp_path / "other" / "bin"
    other_environment.mkdir(parents=True)
    (other_environment / "python").symlink_to(this.resolve())
    other = tmp_path / "other-script"
    other.write_text(f"#!{other_environment / 'python'}\nimport sys\n")
    # The same Python file, but another installation's folder: another environment's packages.
    assert not integration._runs_this_python(other)


def test_a_file_that_cannot_be_written_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(IntegrationError) as raised:
        write_file_atomically(tmp_path / "a-file" / "ringdesk.desktop", "x")
    assert raised.value.user_message.startswith("RingDesk could not write the file")


# Windows and macOS, where no operating system is needed


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        ([r"C:\Program Files\RingDesk\RingDesk.exe", "%1"], r'"C:\Program Files\RingDesk\RingDesk.exe" "%1"'),
        (
            [r"C:\Python\python.exe", "-m", "ringdesk", "--minimized"],
            r'"C:\Python\python.exe" "-m" "ringdesk" "--minimized"',
        ),
        ([r'say "hi"', "C:\\end\\"], r'"say \"hi\"" "C:\end\\"'),
        ([r"a\"b"], r'"a\\\"b"'),
    ],
)
def test_windows_command_lines_split_back_into_the_arguments(arguments: list[str], line: str) -> None:
    assert windows_command_line(arguments) == line


def test_the_bundle_declares_the_phone_link_schemes() -> None:
    (url_type,) = INFO_PLIST_URL_TYPES
    assert url_type["CFBundleURLSchemes"] == ["tel", "callto", "sip"]
    # The Info.plist is written with plistlib by PyInstaller: the constant must serialise.
    assert plistlib.loads(plistlib.dumps({"CFBundleURLTypes": INFO_PLIST_URL_TYPES}))


def test_the_launch_agent_starts_ringdesk_minimized_at_sign_in() -> None:
    agent = plistlib.loads(launch_agent_plist(("/Applications/RingDesk.app/Contents/MacOS/RingDesk",)))
    assert agent["Label"] == "com.ringdesk.RingDesk"
    assert agent["ProgramArguments"] == ["/Applications/RingDesk.app/Contents/MacOS/RingDesk", "--minimized"]
    assert agent["RunAtLoad"] is True
    assert "KeepAlive" not in agent


def test_mac_autostart_is_the_launch_agent_file(tmp_path: Path) -> None:
    integration = MacIntegration(COMMAND, environ={"HOME": str(tmp_path)})
    agent = tmp_path / "Library" / "LaunchAgents" / "com.ringdesk.RingDesk.plist"

    integration.set_autostart(True)

    assert integration.autostart_enabled() and agent.is_file()
    integration.set_autostart(False)
    assert not integration.autostart_enabled() and not agent.exists()
