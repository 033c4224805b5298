"""The extension's data: info, forwarding numbers, phone numbers, devices, paging, ids and `~`."""

from __future__ import annotations

import pytest

from ringdesk.simulator import Simulator

from .helpers import EXT, api, error_code


@pytest.fixture
def access(sim_login) -> str:
    return str(sim_login()["access_token"])


def test_extension_info(sim: Simulator, access: str) -> None:
    body = api(sim, "GET", EXT, access).json()
    user = sim.scenario.account.users[0]
    assert body["id"] == user.extension_id
    assert body["extensionNumber"] == "101"
    assert body["regionalSettings"]["homeCountry"]["isoCode"] == "US"
    assert body["regionalSettings"]["homeCountry"]["callingCode"] == "1"
    features = {f["featureName"]: f["enabled"] for f in body["serviceFeatures"]}
    assert features["RingOut"] is True


@pytest.mark.parametrize("account", ["~", "400131005008"])
@pytest.mark.parametrize("extension", ["~", "400131005009"])
def test_tilde_and_real_ids_both_work(sim: Simulator, access: str, account: str, extension: str) -> None:
    response = api(sim, "GET", f"/restapi/v1.0/account/{account}/extension/{extension}", access)
    assert response.status_code == 200
    assert response.json()["id"] == 400131005009


def test_ids_follow_the_token_owner(sim: Simulator, sim_login) -> None:
    second = sim_login(user_index=1)["access_token"]
    body = api(sim, "GET", EXT, second).json()
    assert body["extensionNumber"] == "102"
    assert {f["featureName"]: f["enabled"] for f in body["serviceFeatures"]}["RingOut"] is False


def test_other_or_unknown_extension(sim: Simulator, access: str) -> None:
    other = api(sim, "GET", "/restapi/v1.0/account/~/extension/400131006009", access)
    assert other.status_code == 403
    unknown = api(sim, "GET", "/restapi/v1.0/account/~/extension/42", access)
    assert unknown.status_code == 404
    assert error_code(unknown) == "CMN-102"
    account = api(sim, "GET", "/restapi/v1.0/account/1/extension/~", access)
    assert account.status_code == 404


def test_forwarding_numbers_include_records_without_id_or_type(sim: Simulator, access: str) -> None:
    body = api(sim, "GET", EXT + "/forwarding-number", access).json()
    records = body["records"]
    assert len(records) == 5
    assert any("id" not in r for r in records)
    assert any("id" in r and "type" not in r for r in records)
    assert {r["type"] for r in records if "type" in r} >= {"PhoneLine", "Mobile", "Home"}
    desk = records[0]
    assert desk["device"] == {"id": "802398452016"}
    assert body["paging"]["totalElements"] == 5


def test_phone_numbers_with_and_without_caller_id(sim: Simulator, access: str) -> None:
    records = api(sim, "GET", EXT + "/phone-number", access).json()["records"]
    with_caller_id = [r["phoneNumber"] for r in records if "CallerId" in r["features"]]
    without = [r["phoneNumber"] for r in records if "CallerId" not in r["features"]]
    assert "+16505550101" in with_caller_id
    assert "+16505550109" in without


def test_devices(sim: Simulator, access: str) -> None:
    records = api(sim, "GET", EXT + "/device", access).json()["records"]
    assert {(d["type"], d["status"]) for d in records} == {("HardPhone", "Online"), ("SoftPhone", "Offline")}


def test_paging(sim: Simulator, access: str) -> None:
    pages = [
        api(sim, "GET", EXT + "/forwarding-number", access, params={"perPage": 2, "page": n}).json()
        for n in (1, 2, 3)
    ]
    assert [len(p["records"]) for p in pages] == [2, 2, 1]
    assert pages[0]["paging"] == {
        "page": 1,
        "perPage": 2,
        "totalPages": 3,
        "totalElements": 5,
        "pageStart": 0,
        "pageEnd": 1,
    }
    assert "nextPage" in pages[0]["navigation"] and "previousPage" not in pages[0]["navigation"]
    assert "nextPage" in pages[1]["navigation"] and "previousPage" in pages[1]["navigation"]
    assert "nextPage" not in pages[2]["navigation"]
    assert "page=3" in pages[0]["navigation"]["lastPage"]["uri"]
    numbers = [r["phoneNumber"] for p in pages for r in p["records"]]
    assert len(set(numbers)) == 5
    beyond = api(sim, "GET", EXT + "/forwarding-number", access, params={"perPage": 2, "page": 9}).json()
    assert beyond["records"] == []


@pytest.mark.parametrize("params", [{"page": "0"}, {"perPage": "x"}, {"perPage": "5000"}])
def test_bad_paging_parameters(sim: Simulator, access: str, params: dict[str, str]) -> None:
    response = api(sim, "GET", EXT + "/phone-number", access, params=params)
    assert response.status_code == 400
    assert error_code(response) == "CMN-101"
    assert response.json()["errors"][0]["parameterName"] in params


def test_missing_app_permission_is_403(make_sim) -> None:
    from ringdesk.simulator import ClientApp

    from .helpers import token

    sim = make_sim(clients=[ClientApp(client_id="bare", name="Bare", permissions=["RingOut"])])
    user = sim.scenario.account.users[0]
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": user.jwt_credential or "",
    }
    access = token(sim, {**data, "client_id": "bare"}).json()["access_token"]
    response = api(sim, "GET", EXT, access)
    assert response.status_code == 403
    assert error_code(response) == "CMN-401"
    assert "ReadAccounts" in response.json()["message"]
