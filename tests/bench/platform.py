"""Benchmark of the platform layer against the simulator: prints a table and a JSON line.

    scripts/bench            (or: python -m tests.bench.platform [--requests N])

Figures that tell the truth on a shared machine are counts and ratios (requests per call, 429s
seen, requests held back); times are medians and 95th percentiles of many runs, for comparison
between versions on the same machine, never for pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from dataclasses import replace
from typing import Any

from ringdesk.errors import RateLimited
from ringdesk.platforms.ringcentral import PlatformClient, StaticTokenAuth
from ringdesk.simulator import RateLimits, Scenario, Simulator, SimulatorControl, Timings

CLIENT_ID = "ringdesk-demo"
DESTINATION = "+16505550199"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mib() -> float:
    # ru_maxrss is KiB on Linux: the high-water mark of the whole process (client and simulator).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def signed_in(sim: Simulator) -> PlatformClient:
    client = PlatformClient(sim.base_url, CLIENT_ID)
    tokens = await client.login_jwt(sim.scenario.account.users[0].jwt_credential or "")
    client.auth = StaticTokenAuth(tokens.access_token)
    return client


async def request_latency(sim: Simulator, count: int) -> dict[str, float]:
    async with await signed_in(sim) as client:
        await client.get_extension()  # warm the connection pool
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await client.get_extension()
            times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "count": count}


async def calls_to_the_end(sim: Simulator, control: SimulatorControl, calls: int) -> dict[str, float]:
    """Place calls and poll each to its end the way the dialer will (status every 0.05 s here)."""
    control.clear_requests()
    async with await signed_in(sim) as client:
        control.clear_requests()
        for _ in range(calls):
            placed = await client.create_ringout({"phoneNumber": "+16505550111"}, DESTINATION)
            while True:
                status = await client.get_ringout(placed.id)
                if status.call_status_is("Finished"):
                    break
                await asyncio.sleep(0.05)
    log = control.requests()
    return {"calls": calls, "requests_per_call": len(log) / calls}


async def heavy_burst(sim: Simulator, control: SimulatorControl, attempts: int) -> dict[str, int]:
    """20 RingOut requests within a minute against the platform's default Heavy budget (10/min)."""
    control.set_rate_limits({"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}, reset_counters=True)
    control.clear_requests()
    held_back = rejected = placed = 0
    async with await signed_in(sim) as client:
        control.clear_requests()
        for _ in range(attempts):
            try:
                await client.create_ringout({"phoneNumber": "+16505550111"}, DESTINATION)
                placed += 1
            except RateLimited as limited:
                if limited.sent:
                    rejected += 1
                else:
                    held_back += 1
    seen_429 = sum(1 for r in control.requests() if r["status"] == 429)
    return {
        "attempts": attempts,
        "placed": placed,
        "held_back_by_ledger": held_back,
        "rejected_by_server": rejected,
        "429s_seen": seen_429,
    }


async def run(requests: int) -> dict[str, Any]:
    fast = Timings(caller_ring=0.1, callee_ring=0.1, talk=0.1, gone_after=5, auto_press_after=0.05)
    # High limits, announced in the rate-limit headers, so that the client's ledger (which
    # otherwise assumes the platform's defaults) measures speed here; the burst sets real limits.
    roomy = RateLimits(limits={"Light": 100_000, "Medium": 100_000, "Heavy": 100_000, "Auth": 100_000})
    scenario = replace(Scenario.default(), timings=fast, rate_limits=roomy)
    started = time.perf_counter()
    sim = Simulator(scenario).start()
    start_ms = (time.perf_counter() - started) * 1000
    try:
        with SimulatorControl(sim.base_url) as control:
            latency = await request_latency(sim, requests)
            calls = await calls_to_the_end(sim, control, 20)
            burst = await heavy_burst(sim, control, 20)
    finally:
        sim.stop()
    return {
        "simulator_start_ms": start_ms,
        "get_extension": latency,
        "ringout_to_finished": calls,
        "heavy_burst": burst,
        "peak_rss_mib": rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="GET requests for the latency figure")
    results = asyncio.run(run(parser.parse_args().requests))
    latency, calls, burst = results["get_extension"], results["ringout_to_finished"], results["heavy_burst"]
    rows = [
        ("simulator start (thread, listening)", f"{results['simulator_start_ms']:.0f} ms"),
        ("GET extension, client to simulator, median", f"{latency['median_ms']:.2f} ms"),
        ("GET extension, 95th percentile", f"{latency['p95_ms']:.2f} ms"),
        ("HTTP requests per RingOut polled to Finished (0.05 s polls)", f"{calls['requests_per_call']:.1f}"),
        (
            "burst of 20 RingOuts: placed / held back by ledger",
            f"{burst['placed']} / {burst['held_back_by_ledger']}",
        ),
        ("burst of 20 RingOuts: 429s seen", str(burst["429s_seen"])),
        ("peak resident memory (client + simulator process)", f"{results['peak_rss_mib']:.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>10}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
