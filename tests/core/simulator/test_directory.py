"""The simulator's company directory: the account's users and a few hundred generated entries,
the same on every run, with names in several scripts and with diacritics, paged and filtered as
the platform pages and filters them."""

from __future__ import annotations

import unicodedata

from ringdesk.simulator import Simulator
from ringdesk.simulator.directory import company_directory
from ringdesk.simulator.scenario import Scenario

from .helpers import api, error_code

DIRECTORY = "/restapi/v1.0/account/~/directory/entries"


def test_the_directory_is_the_same_on_every_run_and_holds_the_accounts_users() -> None:
    account = Scenario().account
    first, again = company_directory(account), company_directory(account)
    assert first == again
    assert len(first) == len(account.users) + 300
    assert [(e.extension_number, e.first_name) for e in first[: len(account.users)]] == [
        (user.extension_number, user.first_name) for user in account.users
    ]
    numbers = [entry.extension_number for entry in first]
    assert len(set(numbers)) == len(numbers)
    assert len({entry.site.id for entry in first}) >= 3


def test_names_come_in_several_scripts_and_with_diacritics() -> None:
    names = [
        f"{e.first_name} {e.last_name}" for e in company_directory(Scenario().account) if e.type == "User"
    ]
    scripts = {unicodedata.name(ch).split()[0] for name in names for ch in name if ch.isalpha()}
    assert {"LATIN", "CYRILLIC", "CJK", "GREEK"} <= scripts
    assert any(unicodedata.normalize("NFKD", name) != name for name in names)  # accents
    assert any(name.startswith("Zoë ") for name in names)


def test_the_list_is_paged_and_filtered(sim: Simulator, sim_login) -> None:
    access = sim_login()["access_token"]
    everyone = api(sim, "GET", DIRECTORY, access, params={"perPage": "all"}).json()
    total = everyone["paging"]["totalElements"]
    assert len(everyone["records"]) == total == len(sim.state.directory)
    second = api(sim, "GET", DIRECTORY, access, params={"page": 2, "perPage": 100}).json()
    assert second["records"] == everyone["records"][100:200]
    assert (second["paging"]["pageStart"], second["paging"]["pageEnd"]) == (100, 199)
    site = everyone["records"][0]["site"]["id"]
    at_site = api(sim, "GET", DIRECTORY, access, params={"siteId": site, "perPage": "all"}).json()["records"]
    assert at_site and {r["site"]["id"] for r in at_site} == {site}
    dana = everyone["records"][0]
    assert (dana["firstName"], dana["lastName"], dana["extensionNumber"]) == ("Dana", "Operator", "101")
    queue = next(r for r in everyone["records"] if r["type"] == "Department")
    assert "name" in queue and "firstName" not in queue


def test_bad_paging_and_unknown_entries_are_refused(sim: Simulator, sim_login) -> None:
    access = sim_login()["access_token"]
    for params in ({"perPage": 0}, {"perPage": "lots"}, {"page": 0}):
        refused = api(sim, "GET", DIRECTORY, access, params=params)
        assert (refused.status_code, error_code(refused)) == (400, "ADG-121")
    missing = api(sim, "GET", f"{DIRECTORY}/1", access)
    assert (missing.status_code, error_code(missing)) == (404, "ADG-122")
