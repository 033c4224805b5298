"""A RingCentral-compatible local server for demo mode, development, tests and benchmarks.

    from ringdesk.simulator import Simulator, SimulatorControl

    with Simulator() as sim:                       # the built-in demo account
        control = SimulatorControl(sim.base_url)
        control.set_next_outcome("callee", "Busy")
        ...

It serves OAuth (sign-in page, four grants, revoke), the extension's data, RingOut with a timed state machine,
telephony sessions, detailed presence, a call log of ended RingOuts, push notifications over WebSocket
(`/restapi/oauth/wstoken`, the gateway at `/ws`, telephony and presence events), the platform's rate limits,
and a loopback-only control API under `/_sim/` for faults, latency, tokens, call outcomes, push trouble and
the request log.
"""

from __future__ import annotations

# The control API's gate: only a client's address counts, never a name (unlike `ringdesk.net.is_loopback`).
from ringdesk.net import is_loopback_address as is_loopback
from ringdesk.simulator.client import SimulatorControl
from ringdesk.simulator.scenario import (
    Account,
    CallOutcome,
    ClientApp,
    Country,
    Device,
    ForwardingNumber,
    Lifetimes,
    PhoneNumber,
    RateLimits,
    Scenario,
    ScenarioError,
    Timings,
    User,
    load_scenario,
    make_jwt_credential,
)
from ringdesk.simulator.server import Simulator, describe, run_foreground

__all__ = [
    "Account",
    "CallOutcome",
    "ClientApp",
    "Country",
    "Device",
    "ForwardingNumber",
    "Lifetimes",
    "PhoneNumber",
    "RateLimits",
    "Scenario",
    "ScenarioError",
    "Simulator",
    "SimulatorControl",
    "Timings",
    "User",
    "describe",
    "is_loopback",
    "load_scenario",
    "make_jwt_credential",
    "run_foreground",
]
