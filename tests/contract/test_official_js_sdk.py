"""Fidelity with the other official client: RingCentral's JavaScript SDK against the simulator.

`tests/contract/js/sdk_flows.js` uses `@ringcentral/sdk` (pinned in `js/package.json` and its lock
file; `scripts/setup --test` installs Node from Debian's packages and the SDK with `npm ci`) exactly as
its documentation shows, as the public app: sign-in with a JWT and with PKCE through the sign-in
page, the extension and its phones, a RingOut placed, read and cancelled, a refresh, the automatic
refresh and retry after a 401, and logout. What the SDK saw is checked here, and what it sent is
checked in the simulator's request log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ringdesk.simulator import Simulator, SimulatorControl

pytestmark = pytest.mark.sdk

JS_DIR = Path(__file__).with_name("js")
DESTINATION = "+14155550123"
TOKEN = "/restapi/oauth/token"


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not (JS_DIR / "node_modules" / "@ringcentral" / "sdk").is_dir():
        pytest.fail("Node and the pinned JavaScript SDK are missing: run scripts/setup --test")
    return node


def test_the_javascript_sdk_runs_its_flows_unchanged(sim: Simulator, sim_control: SimulatorControl) -> None:
    app = sim.scenario.client("ringdesk-demo")
    user = sim.scenario.account.users[0]
    assert app is not None and user.jwt_credential
    # The flows sign in, refresh and sign out ten times in a few seconds, more than the Auth group's
    # five a minute; a person's app does that over days, so the group is widened for this run.
    sim_control.set_rate_limits({"Auth": 20})
    sim_control.clear_requests()
    env = {
        **os.environ,
        "SERVER": sim.base_url,
        "CLIENT_ID": app.client_id,
        "REDIRECT_URI": app.redirect_uris[0],
        "JWT": user.jwt_credential,
        "LOGIN": user.login,
        "EXTENSION": user.extension_number,
        "PASSWORD": user.password,
        "DESTINATION": DESTINATION,
    }
    run = subprocess.run(
        [_node(), "sdk_flows.js"],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen: dict[str, Any] = json.loads(run.stdout)

    assert seen["jwt"] == {"owner": str(user.extension_id), "loggedIn": True}
    assert seen["extension"] == user.extension_number
    assert seen["phones"] == [number.phone_number for number in user.forwarding_numbers]
    assert seen["ringout"] == {"placed": "InProgress", "status": "InProgress", "cancel": 204}
    assert seen["refresh"] == {"newToken": True}
    assert seen["retryAfter401"] == {"extension": user.extension_number, "newToken": True}
    assert seen["logout"] == {"loggedIn": False}
    assert seen["pkce"] == {
        "state": "js-sdk-state",
        "extension": user.extension_number,
        "challengeSent": True,
    }

    log = [(r["method"], r["path"], r["status"]) for r in sim_control.requests()]
    # The 401 the SDK met, its refresh, and the request asked again.
    expired = log.index(("GET", "/restapi/v1.0/account/~/extension/~", 401))
    assert log[expired + 1 : expired + 3] == [
        ("POST", TOKEN, 200),
        ("GET", "/restapi/v1.0/account/~/extension/~", 200),
    ]
    assert ("POST", "/restapi/oauth/revoke", 200) in log
    # Nothing the SDK sent was refused but the one expired token.
    assert [entry for entry in log if (entry[2] or 0) >= 400] == [log[expired]]
