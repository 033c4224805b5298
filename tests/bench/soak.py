"""Soak: many calls against a simulator in its own process while requests fail in every way it offers.

    scripts/bench     (or, inside scripts/desktop-session: python -m tests.bench.soak [--calls N] ...)

RingDesk's own core places the calls: the connection the app builds (platform client, session
with its tokens in the real keyring, call service) and a real SQLite history in a temporary
folder. About `--fault-rate` of all platform requests fail, spread over the faults in `FAULTS`,
and the access token is expired now and then. Calls are followed by push, as the app does, and in
a second run by polling alone (an app without the WebSocket permission), which the faults hit
hardest; the push gateway's own socket is not faulted. Afterwards every history row is checked against
the simulator's own account of each call, and the soak prints:

- crashes: exceptions that are not RingDesk's own errors, and errors logged (must be 0);
- rows wrong: a row that says connected for a call that never connected or the other way round,
  a row missing, or a row left unfinished (must be 0); rows that honestly say the outcome is
  unknown are counted apart;
- duplicate POSTs: more than one RingOut request for one attempt (must be 0);
- sign-ins needed again: sessions lost on the way, one renewal's lost answer included (must be 0);
- memory: resident size after call 100 and after the last call, and Python objects alive.

The figures are counts, so they mean the same on any machine; the run takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ringdesk.auth.session import Session
from ringdesk.auth.token_store import TokenStore
from ringdesk.calls import Call, CallService, CallState, Phase
from ringdesk.calls.service import (
    LOST_WHILE_PLACING,
    SERVER_TROUBLE_WHILE_PLACING,
    UNREADABLE_WHILE_PLACING,
)
from ringdesk.calls.state import OUTCOME_UNKNOWN
from ringdesk.config import ConnectionInfo, ConnectionSettings, LoginMethod, ServerKind
from ringdesk.connection import Connection
from ringdesk.errors import RingDeskError
from ringdesk.numbers import DialTarget
from ringdesk.platforms.base import Phone
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import SimulatorControl
from ringdesk.storage.history import LIVE_STATES, CallHistory, CallRecord, HistoryState
from tests.bench.app.process import CLIENT_ID, proc_status_mib, simulator
from tests.fakes import until

#: Every fault the simulator offers, each striking an equal share of the fault rate, on every
#: path: a refresh whose answer is lost is asked for again within the platform's grace period.
FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("HTTP 500", {"kind": "status", "status": 500}),
    ("HTTP 503 + Retry-After 1 s", {"kind": "status", "status": 503, "retry_after": 1}),
    ("HTTP 429 + Retry-After 1 s", {"kind": "status", "status": 429, "retry_after": 1}),
    ("HTTP 404", {"kind": "status", "status": 404}),
    ("connection dropped before the platform saw the request", {"kind": "drop"}),
    ("answer lost after the platform did the work", {"kind": "lost"}),
    ("malformed JSON", {"kind": "malformed"}),
    ("1 s of extra latency", {"kind": "delay", "seconds": 1.0}),
)
TOKEN_EXPIRY = "access token expired (before that share of calls)"
RINGOUT_PATH = "/restapi/v1.0/account/~/extension/~/ring-out"
TOKEN_PATH = "/restapi/oauth/token"

#: Outcomes that honestly say the call may or may not have happened.
UNKNOWN_OUTCOMES = frozenset(
    {OUTCOME_UNKNOWN, LOST_WHILE_PLACING, SERVER_TROUBLE_WHILE_PLACING, UNREADABLE_WHILE_PLACING}
)
#: Fast simulated calls: the operator's phone rings 0.1 s, the destination 0.1 s, then 1 s of talk.
TIMINGS = {
    "caller_ring": 0.1,
    "callee_ring": 0.1,
    "talk": 1.0,
    "gone_after": 1.0,
    "auto_press_after": 0.1,
}
POLL_INTERVAL = 0.05
#: Platform failures the simulator gives a share of the calls (the rest connect).
OUTCOMES = (("callee", "Busy"), ("callee", "NoAnswer"), ("caller", "NoAnswer"))
MEMORY_MARK = 100


@dataclass
class Tally:
    """What the soak saw, filled in as the calls go."""

    attempts: dict[str, int] = field(default_factory=dict)
    """Destination -> attempt number; every attempt dials its own number."""
    posts: dict[str, list[int | None]] = field(default_factory=dict)
    """Destination -> the HTTP status of each RingOut POST sent to it (None: no answer came)."""
    refused: Counter[str] = field(default_factory=Counter)
    """RingDesk errors raised by placing, by type."""
    crashes: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    """Every platform request the client sent."""
    expiries: int = 0
    sign_ins: int = 0
    completed: int = 0
    memory_at_mark: dict[str, float] = field(default_factory=dict)


class CountingTransport(httpx.AsyncBaseTransport):
    """The real transport, counting every request, and each RingOut POST by its destination."""

    def __init__(self, tally: Tally) -> None:
        self._tally = tally
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._tally.requests += 1
        if not (request.method == "POST" and request.url.path.endswith("/ring-out")):
            return await self._inner.handle_async_request(request)
        try:
            number = str(json.loads(request.content)["to"]["phoneNumber"])
        except (ValueError, KeyError, TypeError):
            number = "?"
        answers = self._tally.posts.setdefault(number, [])
        answers.append(None)
        response = await self._inner.handle_async_request(request)
        answers[-1] = response.status_code
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class ErrorLog(logging.Handler):
    """Keeps every record at ERROR or above: each is a crash the operator would have met."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


def destination(index: int) -> str:
    return f"+1415555{index:04d}"


def running_tasks() -> list[str]:
    """The asyncio tasks alive besides the caller, by what they run."""
    current = asyncio.current_task()
    return [
        getattr(task.get_coro(), "__qualname__", "?") for task in asyncio.all_tasks() if task is not current
    ]


def memory_now() -> dict[str, float]:
    gc.collect()
    return {"rss_mib": proc_status_mib("VmRSS"), "python_objects": float(len(gc.get_objects()))}


async def connect(server_url: str, history: CallHistory, tally: Tally) -> Connection:
    """The connection `Connector` builds for a custom server, its client on a transport that counts."""
    settings = ConnectionSettings(
        server=ServerKind.CUSTOM,
        custom_server_url=server_url,
        client_id=CLIENT_ID,
        login_method=LoginMethod.JWT,
    )
    platform = RingCentralPlatform(PlatformClient(server_url, CLIENT_ID, transport=CountingTransport(tally)))
    store = TokenStore(server_url, CLIENT_ID)
    session = Session(platform, store)
    connection = Connection(
        settings,
        platform=platform,
        store=store,
        session=session,
        calls=None,
        description=ConnectionInfo(server_url=server_url),
    )
    connection.calls = CallService(
        platform, history, call_control=connection.can_hang_up, poll_interval=POLL_INTERVAL
    )
    return connection


async def ensure_signed_in(connection: Connection, jwt: str, tally: Tally) -> None:
    """Sign in again, as the operator would, whenever the session has been lost."""
    while connection.identity is None:
        try:
            await connection.session.sign_in_with_jwt(jwt, remember=False)
            tally.sign_ins += 1
        except RingDeskError:
            await asyncio.sleep(0.2)


async def one_call(
    index: int,
    connection: Connection,
    control: SimulatorControl,
    phone: Phone,
    jwt: str,
    rng: random.Random,
    tally: Tally,
    expiry_rate: float,
) -> None:
    number = destination(index)
    tally.attempts[number] = index
    if rng.random() < expiry_rate:
        await asyncio.to_thread(control.expire_tokens, "access")
        tally.expiries += 1
    if rng.random() < 0.15:
        leg, status = rng.choice(OUTCOMES)
        await asyncio.to_thread(control.set_next_outcome, leg, status)
    await ensure_signed_in(connection, jwt, tally)
    assert connection.calls is not None
    # The Call button counts down while the placing budget or a penalty says wait; operators wait.
    await asyncio.sleep(connection.calls.next_call_possible_in())
    target = DialTarget(e164=number, display=number, region_code="US", region_name="United States")
    try:
        call = await connection.calls.place(
            target, from_=phone, from_label=phone.label, caller_id=None, play_prompt=rng.random() < 0.2
        )
    except RingDeskError as error:
        tally.refused[type(error).__name__] += 1
        return
    except Exception as error:
        tally.crashes.append(f"placing call {index}: {error!r}")
        return
    await operate(call, rng, tally)
    try:
        await asyncio.wait_for(call.wait_finished(), 120)
    except TimeoutError:
        tally.stuck.append(f"call {index} still {call.state.phase.value} after 120 s")
        await call.aclose()
    except Exception as error:
        tally.crashes.append(f"following call {index}: {error!r}")


async def operate(call: Call, rng: random.Random, tally: Tally) -> None:
    """A share of the calls is cancelled while ringing or hung up while connected, as operators do."""
    choice = rng.random()
    if choice < 0.05:
        wanted, action = Phase.CALLING_YOU, "cancel"
    elif choice < 0.10:
        wanted, action = Phase.CONNECTED, "hang up"
    else:
        return
    reached = asyncio.Event()

    def watch(state: CallState) -> None:
        if state.phase is wanted or state.final:
            reached.set()

    unsubscribe = call.subscribe(watch)
    watch(call.state)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reached.wait(), 5)
    unsubscribe()
    if call.finished:
        return
    try:
        await call.cancel()
        tally.actions[action] += 1
    except RingDeskError as error:
        tally.actions[f"{action} refused ({type(error).__name__})"] += 1
    except Exception as error:
        tally.crashes.append(f"{action}: {error!r}")


async def soak(
    server_url: str,
    calls: int,
    lanes: int,
    fault_rate: float,
    expiry_rate: float,
    seed: int,
    history_path: Path,
    push: bool,
) -> dict[str, Any]:
    tally = Tally()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    rng = random.Random(seed)
    with SimulatorControl(server_url) as control:
        info = control.info()
        jwt = info["users"][0]["jwtCredential"]
        control.set_timings(**TIMINGS)
        limit = 100_000
        control.set_rate_limits({"Light": limit, "Medium": limit, "Heavy": limit, "Auth": limit})
        if not push:
            # As for an app without the WebSocket permission: every status comes from polling.
            permissions = [p for p in info["clients"][0]["permissions"] if p != "WebSocket"]
            control.set_app_permissions(CLIENT_ID, permissions)
        history = await CallHistory.open(history_path)
        connection = await connect(server_url, history, tally)
        try:
            await ensure_signed_in(connection, jwt, tally)
            tally.sign_ins = 0
            phone = (await connection.account_phones()).phones[0]
            if push:
                # The push reader runs while the socket is up: counted before the calls as after.
                feed = connection.platform.call_feed
                await until(lambda: feed is not None and feed.live, within=30, what="push to be live")
            tasks_before = running_tasks()
            share = fault_rate / len(FAULTS)
            for _name, fault in FAULTS:
                await asyncio.to_thread(
                    control.add_fault, **{"path": "/restapi/*", **fault, "chance": share, "seed": seed}
                )
            for _name, fault in FAULTS:
                # And each kind at least once, whatever the dice say (a short run may roll none of
                # one kind): on a call's status poll, which is asked again, so no call fails for it.
                status_poll = {"path": f"{RINGOUT_PATH}/*", "method": "GET", "count": 1}
                await asyncio.to_thread(control.add_fault, **{**fault, **status_poll})
            # And the next renewal's answer lost: the platform's grace gives it again when the
            # session asks again, so nobody has to sign in (counted as "sign-ins needed again").
            await asyncio.to_thread(control.add_fault, kind="lost", path=TOKEN_PATH, count=1)
            started = time.monotonic()
            queue: asyncio.Queue[int] = asyncio.Queue()
            for index in range(calls):
                queue.put_nowait(index)

            async def lane(lane_rng: random.Random) -> None:
                while not queue.empty():
                    index = queue.get_nowait()
                    await one_call(index, connection, control, phone, jwt, lane_rng, tally, expiry_rate)
                    tally.completed += 1
                    if tally.completed == min(MEMORY_MARK, calls):
                        tally.memory_at_mark = memory_now()

            await asyncio.gather(*(lane(random.Random(rng.random())) for _ in range(lanes)))
            seconds = time.monotonic() - started
            memory_end = memory_now()
            await asyncio.to_thread(control.clear_faults)
            faulted = Counter(await asyncio.to_thread(control.faults_struck))
            # Let the last calls end on the platform too, so every simulated call has its final word.
            await asyncio.sleep(TIMINGS["talk"] + 1)
            truth = await asyncio.to_thread(control.calls)
            pushed = (await asyncio.to_thread(control.push_info))["sent"] if push else []
            records = await history.search(limit=-1)
            tasks_left = sorted((Counter(running_tasks()) - Counter(tasks_before)).elements())
        finally:
            await connection.aclose()
            await connection.store.clear()
            await history.close()
            logging.getLogger().removeHandler(errors)
    verdict = judge(tally, records, truth, pushed)
    return {
        "calls": calls,
        "lanes": lanes,
        "seed": seed,
        "seconds": round(seconds, 1),
        "platform_requests": tally.requests,
        "requests_faulted": sum(faulted.values()),
        "faulted_share": round(sum(faulted.values()) / max(1, tally.requests), 4),
        "faults_by_kind": dict(faulted),
        "faults_tried": [name for name, _ in FAULTS] + [TOKEN_EXPIRY],
        "access_tokens_expired": tally.expiries,
        "crashes": len(tally.crashes) + len(errors.records),
        "crash_examples": (tally.crashes + errors.records)[:5],
        "sign_ins_needed_again": tally.sign_ins,
        "tasks_left_running": len(tasks_left),
        "tasks_left_names": tasks_left[:5],
        "not_placed_by_error": dict(tally.refused),
        "operator_actions": dict(tally.actions),
        **verdict,
        "memory": {
            f"after_call_{min(MEMORY_MARK, calls)}": tally.memory_at_mark,
            f"after_call_{calls}": memory_end,
            "rss_growth_mib": round(memory_end["rss_mib"] - tally.memory_at_mark.get("rss_mib", 0), 1),
            "python_objects_growth": int(
                memory_end["python_objects"] - tally.memory_at_mark.get("python_objects", 0)
            ),
        },
    }


def claim(record: CallRecord) -> str:
    """What a row tells the operator: "connected", "not connected", "unknown" or "unfinished"."""
    if record.state in LIVE_STATES or record.state is HistoryState.INTERRUPTED:
        return "unfinished"
    if record.outcome in UNKNOWN_OUTCOMES:
        return "unknown"
    return "connected" if record.connected_at is not None else "not connected"


def event_trail(pushed: list[dict[str, Any]], session_id: str) -> str:
    """The telephony events the gateway sent for one session, with their times: "Initiator Setup
    +0.00 s, ...", so a wrong row of a call followed by push shows what the client could have known."""
    trail: list[tuple[float, str]] = []
    for entry in pushed:
        meta, *rest = entry["message"]
        body = rest[0].get("body", {}) if rest and isinstance(rest[0], dict) else {}
        if meta.get("type") != "ServerNotification" or body.get("telephonySessionId") != session_id:
            continue
        for party in body.get("parties", []):
            status = party.get("status", {})
            words = " ".join(w for w in (status.get("code"), status.get("reason")) if w)
            trail.append((entry["time"], f"{party.get('ringOutRole')} {words}"))
    if not trail:
        return "none sent" if pushed else "not followed by push"
    first = trail[0][0]
    return ", ".join(f"{what} +{when - first:.2f} s" for when, what in trail)


def judge(
    tally: Tally, records: list[CallRecord], truth: list[dict[str, Any]], pushed: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every attempt's row against the simulator's own account of its call(s)."""
    rows: dict[str, list[CallRecord]] = {}
    for record in records:
        rows.setdefault(record.destination, []).append(record)
    placed: dict[str, list[dict[str, Any]]] = {}
    for call in truth:
        placed.setdefault(call["to"], []).append(call)
    wrong: list[str] = []
    claims: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    duration_errors: list[float] = []
    for number, index in sorted(tally.attempts.items(), key=lambda item: item[1]):
        found = rows.get(number, [])
        if len(found) != 1:
            wrong.append(f"call {index}: {len(found)} history rows")
            continue
        record = found[0]
        said = claim(record)
        claims[said] += 1
        if said == "unknown":
            unknown[record.outcome or ""] += 1
        calls = placed.get(number, [])
        connected = any(call["connected"] for call in calls)
        if said == "unfinished":
            wrong.append(f"call {index}: row left {record.state.value}")
        elif said != "unknown" and (said == "connected") != connected:
            wrong.append(
                f"call {index} ({record.call_id}): row says {said} ({record.outcome!r}; legs "
                f"{record.caller_status} / "
                f"{record.callee_status}), the platform says "
                f"{'connected' if connected else 'not connected'} ({[c['phase'] for c in calls]})"
                + "".join(f"; events: {event_trail(pushed, c['telephonySessionId'])}" for c in calls)
            )
        elif said == "connected" and record.duration is not None:
            duration_errors.append(abs(record.duration - calls[0]["connectedFor"]))
    # A POST sent again after a 401 is safe (the platform refused the first before doing anything);
    # any other second POST for one attempt could ring the destination twice.
    duplicates_sent = sum(
        1 for answers in tally.posts.values() for previous in answers[:-1] if previous != 401
    )
    duplicates_placed = sum(len(calls) - 1 for calls in placed.values() if len(calls) > 1)
    duration_errors.sort()
    return {
        "rows_wrong_or_missing": len(wrong) + len(tally.stuck),
        "wrong_examples": (wrong + tally.stuck)[:5],
        "rows_by_claim": dict(claims),
        "rows_outcome_unknown": claims["unknown"],
        "unknown_outcomes": dict(unknown),
        "duplicate_posts": duplicates_sent + duplicates_placed,
        "ringout_posts": sum(len(answers) for answers in tally.posts.values()),
        "calls_placed_on_the_platform": sum(len(calls) for calls in placed.values()),
        "duration_error_s": {
            "median": round(duration_errors[len(duration_errors) // 2], 3) if duration_errors else None,
            "max": round(duration_errors[-1], 3) if duration_errors else None,
        },
    }


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ringdesk-soak-") as folder:
        yield Path(folder)


def run(
    calls: int, lanes: int, fault_rate: float, expiry_rate: float, seed: int, *, push: bool
) -> dict[str, Any]:
    """The whole soak: a simulator process of its own, a history in a temporary folder."""
    with workspace() as root, simulator(root / "simulator") as server_url:
        history = root / "history.sqlite3"
        result = asyncio.run(soak(server_url, calls, lanes, fault_rate, expiry_rate, seed, history, push))
        return {"status_by": "push" if push else "polling", **result}


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    memory = result["memory"]
    marks = [key for key in memory if key.startswith("after_call_")]
    first, last = memory[marks[0]], memory[marks[-1]]
    return [
        (
            f"calls / platform requests / faulted ({result['lanes']} at a time, seed {result['seed']})",
            f"{result['calls']} / {result['platform_requests']} / {result['requests_faulted']} "
            f"({100 * result['faulted_share']:.1f} %)",
        ),
        ("access tokens expired under the calls", str(result["access_tokens_expired"])),
        ("crashes (must be 0)", str(result["crashes"])),
        ("history rows wrong or missing (must be 0)", str(result["rows_wrong_or_missing"])),
        ("duplicate RingOut POSTs (must be 0)", str(result["duplicate_posts"])),
        ("sign-ins needed again (must be 0)", str(result["sign_ins_needed_again"])),
        ("rows that say the outcome is unknown", str(result["rows_outcome_unknown"])),
        ("rows: connected / not connected", _claims(result["rows_by_claim"])),
        (
            "tasks left running after the last call, beyond those at sign-in",
            str(result["tasks_left_running"]),
        ),
        (
            "recorded duration vs the platform's, median / max error",
            f"{result['duration_error_s']['median']} / {result['duration_error_s']['max']} s",
        ),
        (
            f"resident memory at {marks[0].removeprefix('after_call_')} and "
            f"{marks[-1].removeprefix('after_call_')} calls",
            f"{first['rss_mib']:.1f} / {last['rss_mib']:.1f} MiB ({result['memory']['rss_growth_mib']:+.1f})",
        ),
        (
            "Python objects alive at those points",
            f"{first['python_objects']:.0f} / {last['python_objects']:.0f} "
            f"({result['memory']['python_objects_growth']:+d})",
        ),
        ("soak time", f"{result['seconds']:.0f} s"),
    ]


def _claims(claims: dict[str, int]) -> str:
    return f"{claims.get('connected', 0)} / {claims.get('not connected', 0)}"


def print_report(result: dict[str, Any]) -> None:
    rows = table(result)
    width = max(len(label) for label, _ in rows)
    print(f"\nSoak: calls under faults, status by {result['status_by']} (tests/bench/soak.py)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print("  faults tried: " + "; ".join(result["faults_tried"]))
    for example in result["crash_examples"] + result["wrong_examples"]:
        print(f"  ! {example}")
    print(json.dumps({"soak": result}, sort_keys=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="calls to place (default 1000)")
    parser.add_argument("--lanes", type=int, default=8, help="calls at a time (default 8)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.05, help="share of requests that fail (default 0.05)"
    )
    parser.add_argument(
        "--expiry-rate",
        type=float,
        default=0.05,
        help="share of calls before which the access token expires (default 0.05)",
    )
    parser.add_argument("--seed", type=int, default=1, help="dice for faults and outcomes (default 1)")
    parser.add_argument(
        "--status",
        choices=("push", "polling", "both"),
        default="both",
        help="how calls are followed: push as the app does, polling as without push, or both runs",
    )
    args = parser.parse_args()
    bad = 0
    for push in {"push": (True,), "polling": (False,), "both": (True, False)}[args.status]:
        result = run(args.calls, args.lanes, args.fault_rate, args.expiry_rate, args.seed, push=push)
        print_report(result)
        bad += result["crashes"] + result["rows_wrong_or_missing"] + result["duplicate_posts"]
        bad += result["sign_ins_needed_again"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
