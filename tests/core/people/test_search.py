"""Finding people as the operator types: names with or without accents, extensions, numbers in any
written form, and the order they come in."""

from __future__ import annotations

import pytest

from ringdesk.people.search import PeopleIndex, Person, PersonNumber, Rank, fold

ZOE = Person("1", "Zoë Lefèvre", "12", (PersonNumber("+16505551000", "Direct"),), ("Sales",))
LUKASZ = Person("2", "Łukasz Nowak", "240", (PersonNumber("+48125551012", "Direct"),), ("Support",))
SOREN = Person("3", "Søren Østergaard", "312", (PersonNumber("+14155552012", "Mobile"),))
IVAN = Person("4", "Иван Смирнов", "400", (PersonNumber("+16505551234", "Direct"),))
QUEUE = Person("5", "Sales queue", "200", (PersonNumber("+16505551200", "Direct"),), group=True)
ZOLTAN = Person("6", "Zoltán Szabó", "512", (PersonNumber("+36125551512", "Direct"),), ("Billing",))
PEOPLE = (ZOE, LUKASZ, SOREN, IVAN, QUEUE, ZOLTAN)


def names(query: str, **kwargs: object) -> list[str]:
    return [match.person.name for match in PeopleIndex(PEOPLE).search(query, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Zoë", "zoe"), ("ŁUKASZ", "lukasz"), ("Søren Østergaard", "soren ostergaard"), ("Straße", "strasse")],
)
def test_folding_drops_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zoe", "Zoë Lefèvre"),
        ("ZOË", "Zoë Lefèvre"),
        ("lefe", "Zoë Lefèvre"),
        ("lukasz", "Łukasz Nowak"),
        ("soren oster", "Søren Østergaard"),
        ("иван", "Иван Смирнов"),
        ("смир", "Иван Смирнов"),
    ],
)
def test_any_part_of_a_name_finds_the_person_whatever_the_accents(query: str, found: str) -> None:
    assert names(query)[0] == found


def test_every_word_must_match_and_a_name_start_beats_a_name_middle() -> None:
    assert names("zoe lef") == ["Zoë Lefèvre"]
    assert names("zoe smith") == []
    # "sal" starts "Sales queue" and is only inside Zoë's department.
    index = PeopleIndex(PEOPLE)
    assert [(m.person.name, m.rank) for m in index.search("sal")] == [
        ("Sales queue", Rank.NAME_STARTS),
        ("Zoë Lefèvre", Rank.CONTAINS),
    ]


@pytest.mark.parametrize("written", ["(650) 555-1000", "+1 650 555 1000", "6505551000", "650.555.10"])
def test_a_number_is_found_however_it_is_written(written: str) -> None:
    assert names(written)[0] == "Zoë Lefèvre"


def test_the_exact_extension_comes_first_then_numbers_starting_then_containing() -> None:
    index = PeopleIndex(PEOPLE)
    ranked = [(m.person.name, m.rank) for m in index.search("12")]
    assert ranked[0] == ("Zoë Lefèvre", Rank.EXACT_EXTENSION)
    # +48 12... and +36 12...: 12 starts them after the country code; the others hold it further in.
    assert ranked[1:3] == [("Łukasz Nowak", Rank.NUMBER_STARTS), ("Zoltán Szabó", Rank.NUMBER_STARTS)]
    assert {name for name, _rank in ranked[3:]} == {"Søren Østergaard", "Sales queue", "Иван Смирнов"}
    assert all(rank is Rank.CONTAINS for _name, rank in ranked[3:])


def test_favourites_then_people_called_recently_come_first() -> None:
    assert names("zo") == ["Zoë Lefèvre", "Zoltán Szabó"]
    assert names("zo", favourites={"6"}) == ["Zoltán Szabó", "Zoë Lefèvre"]
    assert names("zo", recent={"6"}) == ["Zoltán Szabó", "Zoë Lefèvre"]
    assert names("zo", favourites={"1"}, recent={"6"}) == ["Zoë Lefèvre", "Zoltán Szabó"]
    # Favourites still have to match.
    assert names("zo", favourites={"4"}) == ["Zoë Lefèvre", "Zoltán Szabó"]


def test_nothing_typed_finds_nothing_and_the_limit_holds() -> None:
    index = PeopleIndex(PEOPLE)
    assert index.search("") == [] and index.search("  - ") == []
    assert len(index.search("5", limit=3)) == 3


def test_typing_narrows_to_exactly_what_a_fresh_search_finds_and_backspace_widens_again() -> None:
    typed = PeopleIndex(PEOPLE)
    for query in ("z", "zo", "zol", "zo", "s", "sa", "sal", "s", "1", "12", "125", "12", "+4", "+48 1"):
        assert typed.search(query) == PeopleIndex(PEOPLE).search(query), query
