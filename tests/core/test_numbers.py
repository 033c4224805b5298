"""Number entry: cleaning what people type, paste and click, parsing it per region, and the preview."""

from __future__ import annotations

import random

import pytest

from ringdesk.numbers import (
    DialTarget,
    InvalidNumber,
    clean_input,
    digits_of,
    format_for_display,
    parse_dial_input,
    parse_link,
)

# --- Cleaning --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("+1 650 555 1234", "+16505551234"),
        ("+1\u00a0650\u00a0555\u00a01234", "+16505551234"),  # no-break spaces
        ("+1\u2009650\u202f555\u20071234", "+16505551234"),  # thin, narrow no-break, figure spaces
        ("+1\u200b650\u200c555\u200d1234\ufeff", "+16505551234"),  # zero-width characters
        ("\u200e+1 650 555 1234\u200f", "+16505551234"),  # direction marks from copied web pages
        ("\u3000+1\u3000650 555 1234", "+16505551234"),  # ideographic space
        ("+1 650 555 1234\n", "+16505551234"),  # trailing newline from a spreadsheet cell
        ("\r\n+1 650\n555\t1234\r\n", "+16505551234"),
        ("650.555.1234", "6505551234"),
        ("650-555-1234", "6505551234"),
        ("650\u2013555\u20111234", "6505551234"),  # en dash, non-breaking hyphen
        ("(650) 555-1234", "6505551234"),
        ("[650] 555 1234", "6505551234"),
        ("+44 (0) 20 7946 0958", "+442079460958"),  # trunk zero in brackets after the country code
        ("tel:+1-650-555-1234", "+16505551234"),
        ("TEL:+16505551234", "+16505551234"),
        ("callto:+16505551234", "+16505551234"),
        ("1-800-FLOWERS", "18003569377"),
        ("1-800-flowers", "18003569377"),
        ("Tel: +1 650 555 1234", "+16505551234"),  # a label in front is not part of the number
        ("Mobile +1 650 555 1234 (office)", "+16505551234"),  # words in brackets are dropped
        ("\uff0b\uff11\uff16\uff15\uff10\uff15\uff15\uff15\uff11\uff12\uff13\uff14", "+16505551234"),
        ("\u0666\u0665\u0660\u0665\u0665\u0665\u0661\u0662\u0663\u0664", "6505551234"),  # Arabic-Indic
        ("650 555 1234 x12", "6505551234x12"),
        ("650 555 1234 X12", "6505551234x12"),
        ("650-555-1234 ext. 12", "6505551234x12"),
        ("650-555-1234 Ext 12", "6505551234x12"),
        ("650-555-1234 extension: 12", "6505551234x12"),
        ("+16505551234;ext=12", "+16505551234x12"),
        ("650 555 1234 #12", "6505551234x12"),
        ("+1 650 555 1234,,12", "+16505551234x12"),
        ("6505551234#", "6505551234"),  # a closing # from keypad habit
        ("650,555,1234", "6505551234"),  # a single comma early on is a separator, not a pause
        ("1-800-BOX-ROOM x5", "18002697666x5"),  # the X of BOX is a letter, the lone x a marker
        ("*67", "*67"),
        ("#31#", "#31#"),
        ("+1 +650", "+1650"),  # only a leading plus counts
        ("", ""),
        ("   \n\t", ""),
        ("hello", ""),
    ],
)
def test_clean_input(raw: str, cleaned: str) -> None:
    assert clean_input(raw) == cleaned
    assert clean_input(cleaned) == cleaned


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("+1 (650) 555-1234", "16505551234"),
        ("+44 20 7946 0958 x12", "44207946095812"),
        ("*67#", "67"),
        ("1-800-FLOWERS", "1800"),  # letters are dropped, not mapped to keypad digits
        ("\u0661\u0662", "\u0661\u0662"),  # other scripts' digits are kept as they are
        ("no digits", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_digits_of(text: str | None, digits: str) -> None:
    assert digits_of(text) == digits


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+1 650 555 1234",
        "650 555 1234",
        "(650) 555-1234",
        "1 650 555 1234",
        "650.555.1234\n",
        "tel:+1-650-555-1234",
    ],
)
def test_us_numbers_in_every_shape(raw: str) -> None:
    target = parse_dial_input(raw, "US")
    assert target == DialTarget("+16505551234", "+1 650-555-1234", "US", "United States", None)
    assert target.preview == "+1 650-555-1234, United States"


def test_uk_number_with_country_code_stays_uk_for_a_us_operator() -> None:
    target = parse_dial_input("+44 20 7946 0958", "US")
    assert target.e164 == "+442079460958"
    assert target.region_code == "GB"
    assert target.region_name == "United Kingdom"
    assert target.preview == "+44 20 7946 0958, United Kingdom"


def test_international_prefix_of_the_home_region_is_understood() -> None:
    assert parse_dial_input("011 44 20 7946 0958", "US").e164 == "+442079460958"
    assert parse_dial_input("00 1 650 555 1234", "GB").e164 == "+16505551234"


@pytest.mark.parametrize(
    ("raw", "region", "e164", "region_code"),
    [
        ("020 7946 0958", "GB", "+442079460958", "GB"),
        ("030 123456", "DE", "+4930123456", "DE"),
        ("01 23 45 67 89", "FR", "+33123456789", "FR"),
        ("044 668 18 00", "CH", "+41446681800", "CH"),
        ("(650) 555-1234", "us", "+16505551234", "US"),  # the region code is not case-sensitive
    ],
)
def test_national_numbers_use_the_default_region(raw: str, region: str, e164: str, region_code: str) -> None:
    target = parse_dial_input(raw, region)
    assert (target.e164, target.region_code) == (e164, region_code)


def test_same_national_digits_mean_different_numbers_per_region() -> None:
    with pytest.raises(InvalidNumber):
        parse_dial_input("020 7946 0958", "US")
    assert parse_dial_input("020 7946 0958", "GB").e164 == "+442079460958"


def test_vanity_number() -> None:
    target = parse_dial_input("1-800-FLOWERS", "US")
    assert target.e164 == "+18003569377"
    assert target.display == "+1 800-356-9377"


@pytest.mark.parametrize(
    "raw",
    [
        "650 555 1234 x12",
        "650 555 1234 ext. 12",
        "650 555 1234;ext=12",
        "650 555 1234 #12",
        "tel:+16505551234;ext=12",
    ],
)
def test_extensions_in_every_form(raw: str) -> None:
    target = parse_dial_input(raw, "US")
    assert target.e164 == "+16505551234"  # RingOut gets the number without the extension
    assert target.extension == "12"
    assert target.preview == "+1 650-555-1234, United States; key in extension 12 once connected"


def test_non_geographic_number() -> None:
    target = parse_dial_input("+800 1234 5678", "US")
    assert target.e164 == "+80012345678"
    assert target.region_code is None
    assert target.preview == "+800 1234 5678, International service"


def test_digits_as_long_as_the_companys_extension_numbers_call_that_extension() -> None:
    target = parse_dial_input("102", "US", extension_lengths={3})
    assert target.internal and target.e164 == "102"  # RingOut gets the extension's number as it is
    assert target.preview == "Extension 102" and target.region_code is None
    # Written with spaces or a dash it is the same extension.
    assert parse_dial_input(" 1-02 ", "US", extension_lengths={3}).e164 == "102"
    # Other lengths, a +, or no known numbering: a phone number (complete or not).
    for raw, lengths in (("1020", {3}), ("+102", {3}), ("102", set())):
        with pytest.raises(InvalidNumber):
            parse_dial_input(raw, "US", extension_lengths=lengths)
    # Emergency numbers stay refused whatever the company's numbering.
    with pytest.raises(InvalidNumber, match="emergency"):
        parse_dial_input("911", "US", extension_lengths={3})
    with pytest.raises(InvalidNumber, match="by its number alone"):
        parse_dial_input("102 x5", "US", extension_lengths={3})


SERVICE_CODE = "Codes with * or # work only when keyed on a phone; RingOut can call phone numbers only."
NEED_COUNTRY_CODE = "Start the number with + and the country code, for example +44 20 7946 0958."


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("", "US", "Type a number to call."),
        ("  \n", "US", "Type a number to call."),
        ("hello", "US", "That does not look like a phone number."),
        ("650 555", "US", "That is not a complete phone number for the United States."),
        ("+44 20 79", "US", "That is not a complete phone number for the United Kingdom."),
        ("555 1234", "US", "Add the area code; the number alone cannot be dialled from elsewhere."),
        ("+1 123 456 7890", "US", "That number is not in use in the United States; check the digits."),
        ("+1 650 555 1234 5678", "US", "That number has too many digits for the United States."),
        ("+999 123 456", "US", "There is no country with that code after the +."),
        ("*67", "US", SERVICE_CODE),
        ("#31#650 555 1234", "US", SERVICE_CODE),
        ("*86", "GB", SERVICE_CODE),
        ("911", "US", "Call 911 from a phone; RingDesk does not place emergency calls."),
        ("112", "DE", "Call 112 from a phone; RingDesk does not place emergency calls."),
        ("999", "GB", "Call 999 from a phone; RingDesk does not place emergency calls."),
        ("ext. 12", "US", "Type the whole phone number; RingOut cannot call an extension on its own."),
        ("020 7946 0958", "", NEED_COUNTRY_CODE),
        ("020 7946 0958", "Narnia", NEED_COUNTRY_CODE),
        ("1" * 40, "US", "That number has too many digits."),
        ("1" * 300, "US", "That is too long to be a phone number."),
    ],
)
def test_invalid_input_gets_a_sentence(raw: str, region: str, message: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_dial_input(raw, region)
    assert caught.value.user_message == message


def test_a_number_with_country_code_needs_no_default_region() -> None:
    assert parse_dial_input("+44 20 7946 0958", "").region_code == "GB"


# --- Display ---------------------------------------------------------------------------------


def test_format_for_display() -> None:
    assert format_for_display("+16505551234") == "+1 650-555-1234"
    assert format_for_display("+442079460958") == "+44 20 7946 0958"
    assert format_for_display("not a number") == "not a number"
    assert format_for_display("") == ""


def test_preview_without_and_with_extension() -> None:
    plain = DialTarget("+16505551234", "+1 650-555-1234", "US", "United States", None)
    assert plain.preview == "+1 650-555-1234, United States"
    with_extension = DialTarget("+16505551234", "+1 650-555-1234", "US", "United States", "4321")
    assert with_extension.preview == "+1 650-555-1234, United States; key in extension 4321 once connected"


def test_invalid_number_is_a_ringdesk_error() -> None:
    from ringdesk.errors import RingDeskError, report

    with pytest.raises(RingDeskError) as caught:
        parse_dial_input("12", "US")
    assert report(caught.value) == caught.value.user_message


# --- Nothing crashes -------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\x00" * 1000,
    "+",
    "++++",
    "+" * 5000,
    "*#*#",
    "#" * 300,
    "x",
    "x" * 10000,
    "ext",
    ";ext=",
    ";ext=" * 100,
    ",,,,",
    "," * 1000 + "1",
    "tel:",
    "tel:" * 1000,
    "tel:%",
    "tel:%zz%2",
    "tel:%ff%fe",
    "callto://",
    "()",
    "(" * 10000 + "a",
    "(a" * 5000,
    "\ud800",  # a lone surrogate, as broken clipboards deliver
    "\U0001f4de\U0001f600",
    "\u202e4321 555 056\u202c",  # right-to-left override
    "\u0301\u0301\u0301",  # combining marks alone
    "ﷺ",
    "１２３",
    "\u0660" * 50,
    "9" * 100_000,
    "1" * 251,
    "𝟔𝟓𝟎𝟓𝟓𝟓𝟏𝟐𝟑𝟒",
    "Ⅻ ⑫ ⒓",
    "DROP TABLE calls; --",
    "=cmd|' /C calc'!A0",
    "\n\n\n",
    "\t+1\t",
]


def _random_strings() -> list[str]:
    # Seeded, so a failure is reproducible; the alphabet mixes what the parser treats specially
    # with arbitrary code points.
    rng = random.Random(20240601)
    specials = [*"0123456789+*#xX;=,.()-/%", "ext", "Ext.", ";ext=", "tel:", "callto://", "%2B", "\u00a0"]
    samples = []
    for _ in range(1500):
        parts = [
            rng.choice(specials) if rng.random() < 0.6 else chr(rng.randrange(0x20, 0x3000))
            for _ in range(rng.randrange(0, 40))
        ]
        samples.append("".join(parts))
    return samples


def _check_never_crashes(text: str) -> None:
    cleaned = clean_input(text)
    assert clean_input(cleaned) == cleaned
    assert set(cleaned) <= set("+0123456789*#x")
    for region in ("US", "GB", "", "zz", "001"):
        try:
            target = parse_dial_input(text, region)
        except InvalidNumber as error:
            assert error.user_message.endswith(".")
        else:
            assert target.e164.startswith("+")
            assert target.e164[1:].isdigit()
    try:
        parse_link(text)
    except InvalidNumber as error:
        assert error.user_message.endswith(".")
    assert isinstance(format_for_display(text), str)


# Ids by position: some of these strings are 100,000 characters long or not printable.
@pytest.mark.parametrize("text", NASTY, ids=[f"nasty{i}" for i in range(len(NASTY))])
def test_nasty_strings_never_crash(text: str) -> None:
    _check_never_crashes(text)


def test_random_strings_never_crash() -> None:
    for text in _random_strings():
        try:
            _check_never_crashes(text)
        except AssertionError as error:
            raise AssertionError(f"input {text!r}") from error
