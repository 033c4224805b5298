"""Who a number or an extension belongs to, and how long the company's extensions are."""

from __future__ import annotations

from ringdesk.people.directory import CompanyDirectory
from ringdesk.platforms.base import Person, PersonNumber

ZOE = Person(
    "1", "Zoë Lefèvre", "12", (PersonNumber("+16505551000", "Direct"), PersonNumber("+14155552000", "Mobile"))
)
QUEUE = Person("2", "Sales queue", "2000", (PersonNumber("+16505551200", "Direct"),), group=True)
NO_EXTENSION = Person("3", "Front door", "", (PersonNumber("+16505551300", "Direct"),))


def test_a_number_or_an_extension_names_its_owner() -> None:
    directory = CompanyDirectory([ZOE, QUEUE, NO_EXTENSION])
    assert len(directory) == 3
    assert directory.owner_of("12") is ZOE
    assert directory.owner_of("+14155552000") is ZOE
    assert directory.owner_of("2000") is QUEUE
    assert directory.owner_of("+16505551300") is NO_EXTENSION
    assert directory.owner_of("+10000000000") is None and directory.owner_of("") is None


def test_the_extension_lengths_are_those_in_use_and_search_works_over_the_same_people() -> None:
    directory = CompanyDirectory([ZOE, QUEUE, NO_EXTENSION])
    assert directory.extension_lengths == {2, 4}
    assert [match.person for match in directory.index.search("zoe")] == [ZOE]
