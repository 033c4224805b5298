"""RingCentral behind the platform seam, against the simulator: phones, caller IDs, budgets, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.errors import InvalidRequest, NetworkError, NotFound, PermissionDenied
from ringdesk.platforms.base import (
    Action,
    CallAlreadyConnected,
    CallerId,
    CallHandle,
    CallNotFound,
    DefaultCallerId,
    LegStatus,
    Phone,
    PlatformKind,
)
from ringdesk.platforms.ringcentral import PlatformClient, StaticTokenAuth
from ringdesk.platforms.ringcentral.platform import CALL_CONTROL_PERMISSION, RingCentralPlatform
from ringdesk.simulator import Simulator, SimulatorControl


@pytest.fixture
async def platform(
    sim: Simulator, sim_login: Callable[..., dict[str, Any]]
) -> AsyncIterator[RingCentralPlatform]:
    tokens = sim_login()
    made = RingCentralPlatform(
        PlatformClient(sim.base_url, "ringdesk-demo", auth=StaticTokenAuth(tokens["access_token"]))
    )
    yield made
    await made.aclose()


async def test_what_it_is(platform: RingCentralPlatform) -> None:
    assert platform.kind is PlatformKind.RINGCENTRAL
    assert platform.hang_up_permission == CALL_CONTROL_PERMISSION == "CallControl"


async def test_identity_is_the_signed_in_extension(platform: RingCentralPlatform) -> None:
    identity = await platform.identity()
    assert (identity.extension_number, identity.name) == ("101", "Dana Operator")
    assert identity.extension_id == "400131005009"
    assert identity.account_id == "400131005008", "the account the extension belongs to"


async def test_phones_in_neutral_words_keep_records_without_id_or_type(platform: RingCentralPlatform) -> None:
    phones = await platform.account_phones()
    assert phones.home_country == "US"
    assert phones.phones == (
        Phone("733151008", "+16505550111", "Desk phone", "desk"),
        Phone("733152008", "+16505550122", "Mobile", "mobile"),
        Phone("733153008", "+16505550133", "Home", "home"),
        Phone("733154008", "+16505550144", "Front desk", None),
        Phone(None, "+16505550155", "Other phone", "other"),
    )


async def test_caller_ids_are_the_numbers_with_the_caller_id_feature(platform: RingCentralPlatform) -> None:
    caller_ids = (await platform.account_phones()).caller_ids
    assert CallerId("+16505550100", None, "main company number") in caller_ids
    assert CallerId("+16505550101", None, "direct number") in caller_ids
    # The fax-only number has no CallerId feature: it is not offered.
    assert all(c.number != "+16505550109" for c in caller_ids)


async def test_the_accounts_caller_id_for_ringout_is_read_and_its_absence_tolerated(
    platform: RingCentralPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulator shows the primary caller-ID number when a RingOut names none, and says so.
    assert (await platform.account_phones()).default_caller_id == DefaultCallerId(number="+16505550101")

    async def refused() -> list[object]:
        raise PermissionDenied("no", status=403, error_code="CMN-408")

    # Reading it needs a user permission some accounts withhold: the phones still load.
    monkeypatch.setattr(platform.client, "get_caller_ids", refused)
    phones = await platform.account_phones()
    assert phones.default_caller_id is None and len(phones.phones) == 5


@pytest.mark.parametrize(
    ("from_", "rung"),
    [
        # By id when the phone has one: the platform rings the record's number, not a stale copy.
        (Phone("733152008", "+16505559999", "Mobile"), "+16505550122"),
        (Phone(None, "+16505550155", "Other phone"), "+16505550155"),
        ("+16505550177", "+16505550177"),
    ],
)
async def test_the_phone_rung_first_is_named_by_id_when_it_has_one(
    platform: RingCentralPlatform, sim_control: SimulatorControl, from_: Phone | str, rung: str
) -> None:
    progress = await platform.place_call(from_, "+14155550199", caller_id=None, play_prompt=False)
    assert progress.caller.status is LegStatus.PENDING
    call = next(c for c in sim_control.calls() if c["ringoutId"] == progress.call_id)
    assert (call["from"], call["to"]) == (rung, "+14155550199")
    await platform.cancel_call(progress.call_id)
    with pytest.raises(NotFound):
        await platform.call_progress(progress.call_id)


async def test_the_company_directory_in_neutral_words(platform: RingCentralPlatform, sim: Simulator) -> None:
    people = await platform.company_directory()
    assert len(people) == len(sim.state.directory)
    dana = people[0]
    assert (dana.name, dana.extension, dana.group) == ("Dana Operator", "101", False)
    queue = next(person for person in people if person.name == "Sales queue")
    assert queue.group and queue.numbers[0].label == "Direct"
    mobiles = [person for person in people if any(n.label == "Mobile" for n in person.numbers)]
    assert mobiles and all(len(person.numbers) == 2 for person in mobiles)
    assert any("Zoë" in person.name for person in people)


async def test_budgets_name_ringcentral_groups(platform: RingCentralPlatform) -> None:
    place, status, sign_in = (platform.budget(a) for a in (Action.PLACE, Action.STATUS, Action.SIGN_IN))
    assert (place.name, status.name, sign_in.name) == ("Heavy", "Light", "Auth")
    assert place.next_send_in == status.next_send_in == 0.0


async def test_hang_up_of_a_call_it_cannot_find(platform: RingCentralPlatform) -> None:
    handle = CallHandle("nope", destination="+14155550100", from_number="+16505550122", placed_at=0.0)
    with pytest.raises(CallNotFound) as caught:
        await platform.hang_up(handle)
    assert "hang up on your phone" in caught.value.user_message


def test_place_failure_sentences_for_ringout_codes() -> None:
    platform = RingCentralPlatform(PlatformClient("https://platform.example.test", "client-id"))
    refused = InvalidRequest(error_code="TEL-109", parameter_name="to.phoneNumber", status=400)
    assert platform.place_failure(refused) == ("The number you are calling is not valid.", "TEL-109")
    no_code = InvalidRequest(status=415)
    assert platform.place_failure(no_code) == (no_code.user_message, "HTTP 415")
    # Not a refusal by the platform: the call service words these itself.
    assert platform.place_failure(NetworkError(may_have_reached_server=False)) is None


async def test_a_cancel_after_the_call_connected_is_told_apart(platform: RingCentralPlatform) -> None:
    progress = await platform.place_call("+16505550122", "+14155550199", caller_id=None, play_prompt=False)
    async with asyncio.timeout(10):
        while progress.call.status is not LegStatus.ANSWERED:
            await asyncio.sleep(0.02)
            progress = await platform.call_progress(progress.call_id)
    with pytest.raises(CallAlreadyConnected):
        await platform.cancel_call(progress.call_id)
