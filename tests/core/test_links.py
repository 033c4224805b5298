"""Phone links as they arrive from the RFCs, CRMs, e-mail signatures and web pages, read to dialable text."""

from __future__ import annotations

import random

import pytest

from ringdesk.links import NO_NUMBER, OTHER_SCHEME, LinkParts, split_link
from ringdesk.numbers import InvalidNumber, clean_input, parse_dial_input, parse_link

# --- Links that hold a number ----------------------------------------------------------------

DIALABLE = [
    # RFC 3966, section 6. The third example is read as prefix + local number; see
    # test_rfc3966_global_context_example_is_refused_downstream for what becomes of it.
    pytest.param("tel:+1-201-555-0123", "+12015550123", id="rfc3966-global"),
    pytest.param("tel:7042;phone-context=example.com", "7042", id="rfc3966-local-domain-context"),
    pytest.param(
        "tel:863-1234;phone-context=+1-914-555", "+19145558631234", id="rfc3966-local-global-context"
    ),
    # RFC 3261, section 19.1.3: a telephone-subscriber with a password, and a short SIPS user.
    pytest.param("sip:+1-212-555-1212:1234@gateway.com;user=phone", "+12125551212", id="rfc3261-user-phone"),
    pytest.param("sips:1212@gateway.com", "1212", id="rfc3261-sips-digits"),
    # CRM click-to-call (Salesforce, HubSpot): spaces and brackets, or a bare national number.
    pytest.param("tel:+1 (650) 555-1234", "+16505551234", id="crm-spaces-brackets"),
    pytest.param("tel:6505551234", "6505551234", id="crm-national-no-context"),
    pytest.param("tel:650-555-1234", "6505551234", id="crm-national-hyphens"),
    pytest.param("tel:+1.650.555.1234", "+16505551234", id="crm-dots"),
    # E-mail signatures.
    pytest.param("tel:+44%20(0)20%207946%200958", "+442079460958", id="signature-uk-trunk-zero-encoded"),
    pytest.param("<tel:+49-30-1234567>", "+49301234567", id="signature-angle-brackets"),
    pytest.param("  <tel:+33-1-23-45-67-89>\r\n", "+33123456789", id="signature-brackets-and-newline"),
    # Extensions, every way.
    pytest.param("tel:+1-650-555-1234;ext=12", "+16505551234x12", id="ext-param"),
    pytest.param("tel:+1-650-555-1234;EXT=12", "+16505551234x12", id="ext-param-upper-case"),
    pytest.param("tel:+1-650-555-1234;isub=9;ext=12", "+16505551234x12", id="ext-after-isub"),
    pytest.param("tel:+1-650-555-1234;ext=1-2", "+16505551234x12", id="ext-with-separator"),
    pytest.param("tel:+1-650-555-1234;ext=12;ext=34", "+16505551234x12", id="ext-twice-first-wins"),
    pytest.param("tel:+16505551234,,12", "+16505551234x12", id="ext-comma-pauses"),
    pytest.param("tel:+16505551234,12", "+16505551234x12", id="ext-one-comma-pause"),
    pytest.param("tel:+16505551234p12", "+16505551234x12", id="ext-p-pause"),
    pytest.param("tel:+16505551234w12", "+16505551234x12", id="ext-w-wait"),
    pytest.param("tel:+16505551234PP12", "+16505551234x12", id="ext-upper-case-pauses"),
    pytest.param("tel:+16505551234x12", "+16505551234x12", id="ext-x-inside-number"),
    # International.
    pytest.param("tel:+44-20-7946-0958", "+442079460958", id="intl-uk"),
    pytest.param("tel:+49-30-1234567", "+49301234567", id="intl-de"),
    pytest.param("tel:+33-1-23-45-67-89", "+33123456789", id="intl-fr"),
    pytest.param("tel:+91-98765-43210", "+919876543210", id="intl-in-mobile"),
    pytest.param("tel:+81-3-1234-5678", "+81312345678", id="intl-jp"),
    pytest.param("tel:+61-2-9876-5432", "+61298765432", id="intl-au"),
    pytest.param("tel:7946-0958;phone-context=+44-20", "+442079460958", id="intl-uk-area-as-context"),
    pytest.param("tel:020-7946-0958;phone-context=+44", "+4402079460958", id="intl-uk-country-as-context"),
    # Percent-encoding.
    pytest.param("tel:%2B1-650-555-1234", "+16505551234", id="pct-plus"),
    pytest.param("tel:%2b16505551234", "+16505551234", id="pct-plus-lower-case"),
    pytest.param("tel:%2B1%2D650%2D555%2D1234", "+16505551234", id="pct-hyphens"),
    pytest.param("tel:+1%28650%29555-1234", "+16505551234", id="pct-brackets"),
    pytest.param("tel:+1%20650%20555%201234", "+16505551234", id="pct-spaces"),
    pytest.param("tel:+1650555%31234", "+16505551234", id="pct-digit"),
    pytest.param("tel:+1-650-555-1234;%65xt=12", "+16505551234x12", id="pct-parameter-name"),
    # Scheme forms, parameters, queries.
    pytest.param("TEL:+16505551234", "+16505551234", id="scheme-upper-case"),
    pytest.param("Tel: +1 650 555 1234", "+16505551234", id="scheme-as-label"),
    pytest.param("tel://+16505551234", "+16505551234", id="scheme-slashes"),
    pytest.param("tel:///+16505551234", "+16505551234", id="scheme-three-slashes"),
    pytest.param("tel:+16505551234?body=Hello", "+16505551234", id="query-ignored"),
    pytest.param(
        "tel:+16505551234;tgrp=TG-1;trunk-context=example.com;foo", "+16505551234", id="unknown-params"
    ),
    pytest.param("tel:+16505551234;phone-context=+1", "+16505551234", id="global-number-context-ignored"),
    pytest.param("tel:1-800-FLOWERS", "18003569377", id="letters-handed-through"),
    # callto:
    pytest.param("callto:+16505551234", "+16505551234", id="callto"),
    pytest.param("callto://+16505551234", "+16505551234", id="callto-slashes"),
    pytest.param("callto://+16505551234?call", "+16505551234", id="callto-query-call"),
    pytest.param("callto://+16505551234+type=phone", "+16505551234", id="callto-type-phone"),
    pytest.param("callto:%2B44%2020%207946%200958", "+442079460958", id="callto-encoded"),
    # sip: and sips:
    pytest.param("sip:+16505551234@example.com;user=phone", "+16505551234", id="sip-user-phone"),
    pytest.param("sip:+1-650-555-1234@gw.example.com", "+16505551234", id="sip-separators"),
    pytest.param("sip:6505551234@pbx.example.com", "6505551234", id="sip-national"),
    pytest.param("sips:+16505551234@example.com", "+16505551234", id="sips"),
    pytest.param("sip:+16505551234:secret@example.com", "+16505551234", id="sip-password-dropped"),
    pytest.param(
        "sip:+16505551234@example.com?subject=Quote&priority=urgent", "+16505551234", id="sip-headers"
    ),
    pytest.param("sip:+16505551234;ext=12@gw.example.com;user=phone", "+16505551234x12", id="sip-user-ext"),
    pytest.param("SIP:+16505551234@EXAMPLE.COM;transport=tls", "+16505551234", id="sip-upper-case"),
    # Not links at all: a number as typed or pasted.
    pytest.param("+1 (650) 555-1234", "+16505551234", id="bare-international"),
    pytest.param("650.555.1234\n", "6505551234", id="bare-national"),
    pytest.param("+44 20 7946 0958 ext. 7", "+442079460958x7", id="bare-with-ext"),
    pytest.param("+1 650 555 1234 p12", "+16505551234x12", id="bare-p-pause"),
    pytest.param("Mobile +1 650 555 1234 (office)", "+16505551234", id="bare-with-label"),
]


@pytest.mark.parametrize(("link", "dialable"), DIALABLE)
def test_dialable_text(link: str, dialable: str) -> None:
    assert parse_link(link) == dialable
    # The dialable text is what the dial pad would show for it, and what cleaning gives anyway.
    assert clean_input(dialable) == dialable
    assert clean_input(link) == dialable


@pytest.mark.parametrize(
    ("link", "e164", "extension"),
    [
        pytest.param("tel:+1 (650) 555-1234", "+16505551234", None, id="crm"),
        pytest.param("tel:6505551234", "+16505551234", None, id="national-in-own-region"),
        pytest.param("tel:+44%20(0)20%207946%200958", "+442079460958", None, id="signature-uk"),
        pytest.param("tel:%2B44-20-7946-0958;ext=7", "+442079460958", "7", id="encoded-with-ext"),
        pytest.param("tel:7946-0958;phone-context=+44-20", "+442079460958", None, id="area-context"),
        pytest.param(
            "tel:020-7946-0958;phone-context=+44", "+442079460958", None, id="trunk-zero-after-context"
        ),
        pytest.param("tel:+16505551234p12", "+16505551234", "12", id="p-pause"),
        pytest.param("tel:1-800-FLOWERS", "+18003569377", None, id="vanity"),
        pytest.param("tel:+81-3-1234-5678", "+81312345678", None, id="jp"),
        pytest.param("callto://+16505551234+type=phone", "+16505551234", None, id="callto"),
        pytest.param("sip:+1-212-555-1212:1234@gateway.com;user=phone", "+12125551212", None, id="sip"),
        pytest.param("sip:+16505551234;ext=12@gw.example.com;user=phone", "+16505551234", "12", id="sip-ext"),
        pytest.param("+1 (650) 555-1234", "+16505551234", None, id="bare"),
    ],
)
def test_links_dial_the_right_number(link: str, e164: str, extension: str | None) -> None:
    target = parse_dial_input(parse_link(link), "US")
    assert (target.e164, target.extension) == (e164, extension)


def test_rfc3966_global_context_example_is_refused_downstream() -> None:
    # RFC 3966 says a phone-context is not a prefix; read as one, its example is fourteen digits,
    # which is no number, so the dial pad refuses it instead of ringing someone.
    with pytest.raises(InvalidNumber) as caught:
        parse_dial_input(parse_link("tel:863-1234;phone-context=+1-914-555"), "US")
    assert caught.value.user_message == "That number has too many digits for the United States."


def test_domain_context_number_is_read_as_local() -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_dial_input(parse_link("tel:7042;phone-context=example.com"), "US")
    assert caught.value.user_message == "That is not a complete phone number for the United States."


# --- The parts of a link ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "parts"),
    [
        pytest.param(
            "TEL:+1-650-555-1234;isub=1411;EXT=12",
            LinkParts("tel", "+1-650-555-1234", extension="12", isub="1411"),
            id="isub-kept-not-dialled",
        ),
        pytest.param(
            "tel:7042;phone-context=example.com",
            LinkParts("tel", "7042", phone_context="example.com"),
            id="domain-context-kept",
        ),
        pytest.param(
            "tel:863-1234;phone-context=+1-914-555",
            LinkParts("tel", "+1-914-555 863-1234", phone_context="+1-914-555"),
            id="global-context-in-front",
        ),
        pytest.param(
            "tel:+1%20650%3B555",
            LinkParts("tel", "+1 650;555"),
            id="encoded-semicolon-starts-no-parameter",
        ),
        pytest.param("sips:+16505551234@example.com", LinkParts("sips", "+16505551234"), id="sips"),
        pytest.param("tel:+16505551234%zz", LinkParts("tel", "+16505551234%zz"), id="invalid-escape-kept"),
        pytest.param(
            "mailto:someone@example.com", LinkParts("mailto", why_not=OTHER_SCHEME), id="other-scheme"
        ),
        pytest.param("+1 650 555 1234", None, id="bare-number"),
        pytest.param("Mobile: +1 650 555 1234", None, id="label-with-space-is-no-scheme"),
        pytest.param("", None, id="empty"),
    ],
)
def test_split_link(link: str, parts: LinkParts | None) -> None:
    assert split_link(link) == parts


@pytest.mark.parametrize(
    ("link", "is_phone_link"),
    [
        ("tel:+16505551234", True),
        ("callto:+16505551234", True),
        ("sip:+16505551234@example.com", True),
        ("sips:alice@example.com", True),  # a phone link, though without a number
        ("sms:+16505551234", False),
    ],
)
def test_only_phone_schemes_are_phone_links(link: str, is_phone_link: bool) -> None:
    parts = split_link(link)
    assert parts is not None
    assert parts.is_phone_link is is_phone_link


# --- Links that hold no number ---------------------------------------------------------------

NOT_A_NUMBER_EXTENSION = (
    "The extension in that link (abc) is not a number; RingDesk does not call without it."
)
LONG_EXTENSION = "The extension in that link is longer than 8 digits; RingDesk does not call without it."

REFUSED_PHONE_LINKS = [
    pytest.param("tel:", NO_NUMBER, id="tel-empty"),
    pytest.param("tel:;ext=12", NO_NUMBER, id="tel-ext-only"),
    pytest.param("tel:abc", NO_NUMBER, id="tel-letters-only"),
    pytest.param("tel:%", NO_NUMBER, id="tel-lone-percent"),
    pytest.param("tel:%zz", NO_NUMBER, id="tel-invalid-escape"),
    pytest.param("tel:///", NO_NUMBER, id="tel-slashes-only"),
    pytest.param("tel:;phone-context=+44", NO_NUMBER, id="tel-context-only"),
    pytest.param("callto:", NO_NUMBER, id="callto-empty"),
    pytest.param("sip:@host", NO_NUMBER, id="sip-empty-user"),
    pytest.param("sip:192.0.2.4", NO_NUMBER, id="sip-host-only"),
    pytest.param("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", NO_NUMBER, id="rfc3261-no-user"),
    pytest.param("tel:+1-650-555-1234;ext=abc", NOT_A_NUMBER_EXTENSION, id="ext-not-digits"),
    pytest.param("tel:+1-650-555-1234;ext=123456789", LONG_EXTENSION, id="ext-too-long"),
    pytest.param(
        "sip:alice@example.com",
        "That link is for alice, not a phone number; RingDesk can call phone numbers only.",
        id="sip-person",
    ),
    pytest.param(
        "sip:alice:secretword@atlanta.com;transport=tcp",
        "That link is for alice, not a phone number; RingDesk can call phone numbers only.",
        id="rfc3261-password-never-shown",
    ),
    pytest.param(
        "sip:alice;day=tuesday@atlanta.com",
        "That link is for alice, not a phone number; RingDesk can call phone numbers only.",
        id="rfc3261-user-params",
    ),
    pytest.param(
        "sips:bob2@biloxi.example.com",
        "That link is for bob2, not a phone number; RingDesk can call phone numbers only.",
        id="sips-person-with-digit",
    ),
    pytest.param(
        "callto://echo123",
        "That link is for echo123, not a phone number; RingDesk can call phone numbers only.",
        id="callto-skype-name",
    ),
    pytest.param(
        "callto:john.doe?call",
        "That link is for john.doe, not a phone number; RingDesk can call phone numbers only.",
        id="callto-skype-name-query",
    ),
    pytest.param(
        "sip:" + "a" * 100 + "@example.com",
        "That link is for " + "a" * 39 + "…, not a phone number; RingDesk can call phone numbers only.",
        id="long-name-cut",
    ),
]


@pytest.mark.parametrize(("link", "message"), REFUSED_PHONE_LINKS)
def test_phone_links_without_a_number_get_a_sentence(link: str, message: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_link(link)
    assert caught.value.user_message == message
    # Nothing dialable comes of them anywhere: not on the dial pad, not in the preview.
    assert clean_input(link) == ""
    with pytest.raises(InvalidNumber) as caught:
        parse_dial_input(link, "US")
    assert caught.value.user_message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("mailto:someone@example.com", OTHER_SCHEME, id="mailto"),
        pytest.param("https://example.com/+16505551234", OTHER_SCHEME, id="https"),
        pytest.param("skype:echo123?call", OTHER_SCHEME, id="skype"),
        pytest.param("sms:+16505551234", OTHER_SCHEME, id="sms"),
        pytest.param(
            "tel:" + "1" * 1000, "That link is too long to hold a phone number.", id="link-too-long"
        ),
        pytest.param("1" * 300, "That is too long to be a phone number.", id="bare-too-long"),
        pytest.param("hello", "That does not look like a phone number.", id="bare-no-digits"),
        pytest.param("", "That does not look like a phone number.", id="empty"),
        pytest.param("tel:x12", NO_NUMBER, id="tel-extension-only-after-cleaning"),
    ],
)
def test_other_text_without_a_number_gets_a_sentence(text: str, message: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_link(text)
    assert caught.value.user_message == message


def test_refused_link_parts_hold_nothing_else() -> None:
    parts = split_link("tel:+1-650-555-1234;isub=9;ext=abc")
    assert parts == LinkParts("tel", why_not=NOT_A_NUMBER_EXTENSION)


# --- Nothing crashes -------------------------------------------------------------------------


def _random_links() -> list[str]:
    # Seeded, so a failure is reproducible; the alphabet mixes link syntax with arbitrary code points.
    rng = random.Random(20250301)
    specials = [
        *"0123456789+*#;=,.()-/%?@:<> pwx",
        "tel:",
        "TEL:",
        "callto://",
        "sip:",
        "sips:",
        "mailto:",
        ";ext=",
        ";isub=",
        ";phone-context=",
        ";user=phone",
        "+type=phone",
        "%2B",
        "%zz",
        "%ff",
        "%3B",
        "\u00a0",
        "\ud800",
    ]
    samples = []
    for _ in range(2000):
        parts = [
            rng.choice(specials) if rng.random() < 0.7 else chr(rng.randrange(0x20, 0x3000))
            for _ in range(rng.randrange(0, 30))
        ]
        samples.append("".join(parts))
    return samples


def _check_parse_link(text: str) -> None:
    parts = split_link(text)
    assert parts is None or isinstance(parts, LinkParts)
    try:
        dialable = parse_link(text)
    except InvalidNumber as error:
        assert error.user_message.endswith(".")
        return
    # Malformed links never return dialable text. (Only ASCII text is read as written: other
    # characters become spaces first, and a space makes "scheme:" a label in pasted text.)
    if text.isascii():
        assert parts is None or parts.why_not is None
    assert set(dialable) <= set("+0123456789*#x")
    assert any(ch.isdigit() for ch in dialable.partition("x")[0])
    assert clean_input(dialable) == dialable


def test_parse_link_raises_only_invalid_number() -> None:
    for text in _random_links():
        try:
            _check_parse_link(text)
        except AssertionError as error:
            raise AssertionError(f"input {text!r}") from error
