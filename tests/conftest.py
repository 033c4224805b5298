"""Shared fixtures: a real RingCentral simulator on 127.0.0.1 for any test that needs the platform.

    def test_something(sim, sim_control, sim_login):
        tokens = sim_login()                                  # JWT grant as the demo user, public app
        sim_control.set_next_outcome("callee", "Busy")
        httpx.post(f"{sim.base_url}/restapi/v1.0/account/~/extension/~/ring-out", ...)

Override `sim_scenario` in a test module (or use `make_sim`) to serve a different account or behaviour.

Every test has one tier, by what it needs (README, "Where a new test goes"), selected with `-m`:

- `core`: no screen and no Qt. Every test in tests/core and tests/contract.
- `viewmodels`: Qt without a screen (`QT_QPA_PLATFORM=offscreen`): view models and Qt plumbing.
  Marked explicitly, module by module or test by test, in tests/ui.
- `desktop`: a screen, D-Bus, a Secret Service and a system tray, as `scripts/desktop-session`
  gives them: widgets, the whole app, the tray, the keyring, the browser engine. Every other test
  in tests/ui, and tests/integration. Outside that session these are skipped (in CI, an error).
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringdesk.simulator import Scenario, Simulator, SimulatorControl, Timings

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

# The machine's administrator defaults (/etc/xdg/RingDesk/defaults.json) must not reach the tests,
# nor their RingDesk processes: an empty folder of the run's own stands in for the system's
# configuration folders. Tests of those defaults point XDG_CONFIG_DIRS at files of their own.
_SYSTEM_CONFIG = tempfile.mkdtemp(prefix="ringdesk-tests-xdg-config-")
os.environ["XDG_CONFIG_DIRS"] = _SYSTEM_CONFIG
atexit.register(shutil.rmtree, _SYSTEM_CONFIG, True)

TESTS = Path(__file__).parent
TIERS = ("core", "viewmodels", "desktop")
#: The tier of a test that neither it nor its module marks, by its folder in tests/.
FOLDER_TIERS = {
    "core": "core",
    "contract": "core",
    # A built bundle's contents (RINGDESK_BUNDLE); it reads files and runs no Qt.
    "packaging": "core",
    "ui": "desktop",
    "integration": "desktop",
}
#: pytest-qt's fixtures: a core test that asks for one is not a core test.
QT_FIXTURES = {"qapp", "qtbot"}
IN_DESKTOP_SESSION = bool(os.environ.get("RINGDESK_DESKTOP_SESSION"))
NEEDS_DESKTOP_SESSION = "desktop tier: needs scripts/desktop-session (Xvfb, D-Bus, GNOME Keyring, a tray)"

if not IN_DESKTOP_SESSION:
    # Outside the session only tiers without a screen run, so Qt never needs one, wherever pytest runs.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    """Gives every test its tier before `-m` selects, then skips the desktop tier outside its session."""
    for item in items:
        _mark_tier(item)
    yield
    desktop = [item for item in items if item.get_closest_marker("desktop")]
    if not desktop or IN_DESKTOP_SESSION:
        return
    if os.environ.get("CI"):
        # In CI a skipped desktop test would be a silent hole: the run must use the session.
        raise pytest.UsageError(
            f"CI must run the desktop tier through scripts/desktop-session ({desktop[0].nodeid})"
        )
    skip = pytest.mark.skip(reason=NEEDS_DESKTOP_SESSION)
    for item in desktop:
        item.add_marker(skip)


def _mark_tier(item: pytest.Item) -> None:
    marked = sorted({mark.name for mark in item.iter_markers() if mark.name in TIERS})
    if len(marked) > 1:
        # `-m` sees a module's mark on each of its tests, so a test cannot take back its module's tier.
        raise pytest.UsageError(f"{item.nodeid} is marked {' and '.join(marked)}: a test has one tier")
    tier = marked[0] if marked else FOLDER_TIERS.get(item.path.relative_to(TESTS).parts[0])
    if tier is None:
        raise pytest.UsageError(f"{item.nodeid} has no tier: mark it with one of {', '.join(TIERS)}")
    if tier == "core" and QT_FIXTURES & set(getattr(item, "fixturenames", ())):
        raise pytest.UsageError(f"{item.nodeid} uses Qt: the core tier runs without it (mark it viewmodels)")
    if not marked:
        item.add_marker(tier)


def fast_scenario(**overrides: Any) -> Scenario:
    """The built-in demo account with `Timings.fast()`: call phases of tenths of a second.

    `overrides` replace top-level `Scenario` fields (timings=Timings(...), demo_mode=False, clients=[...]).
    "Press 1" is pressed automatically 0.1 s after the operator answers; pass
    `timings=Timings(..., auto_press_after=None)` to press it through the control API instead.
    """
    fast = Timings.fast()
    return dataclasses.replace(Scenario.default(), **{"timings": fast, **overrides})


@pytest.fixture
def sim_scenario() -> Scenario:
    """The scenario the `sim` fixture serves; override this fixture in a module to change it."""
    return fast_scenario()


@pytest.fixture
def sim(sim_scenario: Scenario) -> Iterator[Simulator]:
    """A started simulator (fast timings, default rate limits) on a free loopback port; stopped afterwards."""
    with Simulator(sim_scenario) as simulator:
        yield simulator


@pytest.fixture
def sim_control(sim: Simulator) -> Iterator[SimulatorControl]:
    """A `SimulatorControl` for `sim`'s `/_sim/` API (faults, tokens, outcomes, press 1, request log...)."""
    with SimulatorControl(sim.base_url) as control:
        yield control


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    """Factory for extra or custom simulators: `make_sim(scenario)` or `make_sim(**fast_scenario overrides)`.

    Every simulator it starts is stopped at the end of the test.
    """
    started: list[Simulator] = []

    def factory(scenario: Scenario | None = None, **overrides: Any) -> Simulator:
        if scenario is not None and overrides:
            scenario = dataclasses.replace(scenario, **overrides)
        simulator = Simulator(scenario if scenario is not None else fast_scenario(**overrides)).start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in started:
        simulator.stop()


@pytest.fixture
def sim_login(sim: Simulator) -> Callable[..., dict[str, Any]]:
    """`sim_login(user_index=0, client_id="ringdesk-demo")` -> the token response of a JWT-grant sign-in.

    A confidential client authenticates with HTTP Basic and its secret from the scenario.
    """

    def login(user_index: int = 0, client_id: str = "ringdesk-demo") -> dict[str, Any]:
        scenario = sim.scenario
        user = scenario.account.users[user_index]
        client = scenario.client(client_id)
        assert client is not None, f"no client {client_id!r} in the scenario"
        data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or ""}
        auth: tuple[str, str] | None = None
        if client.client_secret is None:
            data["client_id"] = client_id
        else:
            auth = (client_id, client.client_secret)
        response = httpx.post(f"{sim.base_url}/restapi/oauth/token", data=data, auth=auth, timeout=10)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    return login
