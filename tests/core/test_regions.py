"""The built-in region names match libphonenumber's geocoder, which RingDesk no longer imports."""

from __future__ import annotations

import phonenumbers
from phonenumbers import geocoder

from ringdesk.regions import REGION_NAMES, region_name


def test_every_supported_region_has_the_geocoders_english_name() -> None:
    expected: dict[str, str] = {}
    for code in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(code)
        name = geocoder.country_name_for_number(example, "en") if example is not None else ""
        if name:
            expected[code] = name
    differing = {
        code: (REGION_NAMES.get(code), name)
        for code, name in expected.items()
        if REGION_NAMES.get(code) != name
    }
    assert not differing, (
        f"ringdesk/regions.py is out of date with phonenumbers {phonenumbers.__version__}: {differing}"
    )
    assert set(REGION_NAMES) == set(expected)


def test_region_name_falls_back_to_the_code() -> None:
    assert region_name("us") == "United States"
    assert region_name("GB") == "United Kingdom"
    assert region_name("AC") == "AC"


def test_importing_ringdesk_numbers_leaves_the_geocoder_unloaded() -> None:
    import subprocess
    import sys

    code = "import sys, ringdesk.numbers, ringdesk.regions; print('phonenumbers.geocoder' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_names_in_a_sentence_take_the_where_english_does() -> None:
    from ringdesk.regions import region_in_sentence

    assert region_in_sentence("US") == "the United States"
    assert region_in_sentence("gb") == "the United Kingdom"
    assert region_in_sentence("NL") == "the Netherlands"
    assert region_in_sentence("CD") == "the Democratic Republic Of Congo"
    assert region_in_sentence("CA") == "Canada"
    assert region_in_sentence("FR") == "France"
