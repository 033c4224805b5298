"""Fidelity with a client nobody here wrote: RingCentral's official Python SDK against the simulator.

The SDK is a confidential client (client id + secret, HTTP Basic on the token endpoint), so it uses the
scenario's confidential app. Its traffic is also checked against the description, through a subclass of the
SDK's own HTTP client; the SDK is otherwise used exactly as its documentation shows.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import requests
from ringcentral import SDK
from ringcentral.http import Client
from ringcentral.http.api_response import ApiResponse

from ringdesk.simulator import Simulator
from tests.contract.openapi_check import ContractChecker

pytestmark = pytest.mark.sdk

EXT = "/restapi/v1.0/account/~/extension/~"
DESTINATION = "+14155550123"


class ValidatingSdkClient(Client):  # type: ignore[misc]  # the SDK ships no type information
    """The SDK's HTTP client, checking each exchange it makes against the description."""

    def __init__(self, checker: ContractChecker) -> None:
        super().__init__()
        self.checker = checker

    def load_response(self, request: requests.PreparedRequest) -> ApiResponse:
        api_response: ApiResponse = super().load_response(request)
        response: requests.Response = api_response.response()
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes), f"unexpected streamed body {body!r}"
        headers = [(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in request.headers.items()]
        self.checker.check(
            request.method or "",
            request.url or "",
            headers,
            body,
            response.status_code,
            response.headers.items(),
            response.content,
        )
        return api_response


@pytest.fixture
def checker() -> ContractChecker:
    return ContractChecker()


@pytest.fixture
def sdk(sim: Simulator, checker: ContractChecker) -> Any:
    app = next(c for c in sim.scenario.clients if not c.is_public)
    rcsdk = SDK(app.client_id, app.client_secret, sim.base_url, "RingDesk contract test", "1.0")
    # The SDK offers no hook for its HTTP client; both references must point at the checking one.
    client = ValidatingSdkClient(checker)
    rcsdk._client = client
    rcsdk.platform()._client = client
    return rcsdk


def refused(sim: Simulator, access_token: str) -> str:
    """The error code the simulator answers a request with this token with; fails if it is accepted."""
    response = httpx.get(
        f"{sim.base_url}{EXT}", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert response.status_code == 401, f"the token is still accepted: {response.status_code} {response.text}"
    code: str = response.json()["errors"][0]["errorCode"]
    return code


def test_official_sdk_session(sim: Simulator, sdk: Any, checker: ContractChecker) -> None:
    user = sim.scenario.account.users[0]
    platform = sdk.platform()

    platform.login(jwt=user.jwt_credential)
    assert platform.logged_in()
    first_token = platform.auth().access_token()
    assert platform.auth().data()["owner_id"] == str(user.extension_id)

    extension = platform.get(f"{EXT}").json_dict()
    assert extension["extensionNumber"] == "101"
    assert extension["id"] == user.extension_id
    assert extension["contact"]["firstName"] == user.first_name
    assert {"featureName": "RingOut", "enabled": True} in extension["serviceFeatures"]

    body = {
        "from": {"phoneNumber": user.forwarding_numbers[0].phone_number},
        "to": {"phoneNumber": DESTINATION},
        "playPrompt": False,
    }
    created = platform.post(f"{EXT}/ring-out", body).json_dict()
    assert created["status"] == {
        "callStatus": "InProgress",
        "callerStatus": "InProgress",
        "calleeStatus": "InProgress",
    }
    statuses: list[str] = []
    deadline = time.monotonic() + 5
    while "Finished" not in statuses and time.monotonic() < deadline:
        status = platform.get(f"{EXT}/ring-out/{created['id']}").json_dict()
        assert status["id"] == created["id"]
        if not statuses or statuses[-1] != status["status"]["callStatus"]:
            statuses.append(status["status"]["callStatus"])
        time.sleep(0.05)
    assert statuses[0] == "InProgress"
    assert "Success" in statuses, statuses
    assert statuses[-1] == "Finished", statuses

    platform.refresh()
    second_token = platform.auth().access_token()
    assert second_token != first_token
    assert refused(sim, first_token) == "OAU-149"
    assert platform.get(f"{EXT}").json_dict()["extensionNumber"] == "101"

    platform.logout()
    assert refused(sim, second_token) == "OAU-149"
    # Signed out, the SDK has no token to send and cannot refresh its way back in.
    assert not platform.logged_in()
    with pytest.raises(Exception, match="Refresh token has expired"):
        platform.get(f"{EXT}")

    operations = {e.operation_id for e in checker.exchanges}
    assert {
        "getToken",
        "readExtension",
        "createRingOutCall",
        "readRingOutCallStatus",
        "revokeToken",
    } <= operations
    assert checker.violations == [], "\n" + checker.report()
