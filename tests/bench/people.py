"""Searching people as the operator types: milliseconds per keystroke over a large directory.

    python -m tests.bench.people [--entries 10000] [--rounds 5]

The directory is the simulator's generator at the size asked (names in several scripts, with
diacritics, direct and mobile numbers). Each query is typed one keystroke at a time, and every
prefix is searched as the dial field would search it; the table gives the median and the slowest
keystroke of the best of `rounds` runs, and the time to prepare the index. The goal: under 16 ms
for every keystroke over 10,000 entries (one frame at 60 Hz).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from ringdesk.people.search import PeopleIndex, Person
from ringdesk.platforms.ringcentral.models import DirectoryEntry
from ringdesk.platforms.ringcentral.platform import person_of
from ringdesk.simulator.directory import company_directory
from ringdesk.simulator.scenario import Scenario

#: What an operator types: parts of names (with and without accents), an extension, numbers.
TYPED = ("zoe lef", "lukasz", "ostergaard", "иван", "sales", "1234", "(650) 555-12", "+44 20 7946")


def people(entries: int) -> list[Person]:
    """The simulator's directory at this size, read as RingDesk reads the platform's answer."""
    account = Scenario().account
    generated = company_directory(account, generated=entries - len(account.users))
    found = (person_of(DirectoryEntry.from_json(entry.record(account))) for entry in generated)
    return [person for person in found if person is not None]


def run(entries: int, rounds: int) -> dict[str, float]:
    everyone = people(entries)
    started = time.perf_counter()
    index = PeopleIndex(everyone)
    prepare_ms = (time.perf_counter() - started) * 1000
    best: list[float] = []
    for _ in range(rounds):
        times = []
        for query in TYPED:
            for end in range(1, len(query) + 1):
                started = time.perf_counter()
                index.search(query[:end])
                times.append((time.perf_counter() - started) * 1000)
        if not best or max(times) < max(best):
            best = times
    return {
        "entries": len(index),
        "keystrokes": len(best),
        "median_ms": round(statistics.median(best), 2),
        "slowest_ms": round(max(best), 2),
        "prepare_ms": round(prepare_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10000, help="directory size (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs; the best is reported (default 5)")
    args = parser.parse_args()
    result = run(args.entries, args.rounds)
    print("\nPeople search, per keystroke (tests/bench/people.py)")
    rows = (
        ("entries / keystrokes typed", f"{result['entries']} / {result['keystrokes']}"),
        ("median / slowest keystroke", f"{result['median_ms']} / {result['slowest_ms']} ms (goal: under 16)"),
        ("preparing the index", f"{result['prepare_ms']} ms"),
    )
    for label, value in rows:
        print(f"  {label:<40}{value}")
    print(json.dumps({"people_search": result}))


if __name__ == "__main__":
    main()
