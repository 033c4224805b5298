"""The people of the operator's company, as loaded from the platform: who a number or an
extension belongs to, and the search over them (`search.PeopleIndex`).

    directory = await CompanyDirectory.load(platform)   # one platform request per 1,000 entries
    directory.owner_of("+16505551000")                   # Person("Zoë Lefèvre", ...) or None
    directory.owner_of("101")                            # by extension
    directory.extension_lengths                          # {3}: typed digits this long are extensions
"""

from __future__ import annotations

from collections.abc import Iterable

from ringdesk.people.search import PeopleIndex
from ringdesk.platforms.base import CallingPlatform, Person

__all__ = ["CompanyDirectory"]


class CompanyDirectory:
    def __init__(self, people: Iterable[Person]) -> None:
        self.people = tuple(people)
        self.index = PeopleIndex(self.people)
        self._by_number: dict[str, Person] = {}
        self._by_extension: dict[str, Person] = {}
        for person in self.people:
            if person.extension:
                self._by_extension.setdefault(person.extension, person)
            for number in person.numbers:
                self._by_number.setdefault(number.number, person)

    @classmethod
    async def load(cls, platform: CallingPlatform) -> CompanyDirectory:
        return cls(await platform.company_directory())

    def __len__(self) -> int:
        return len(self.people)

    @property
    def extension_lengths(self) -> frozenset[int]:
        """How long the company's extension numbers are (typed digits of these lengths dial one)."""
        return frozenset(len(extension) for extension in self._by_extension if extension.isdigit())

    def owner_of(self, number_or_extension: str) -> Person | None:
        """Whose extension ("101") or E.164 number ("+16505551000") this is, when anyone's."""
        return self._by_extension.get(number_or_extension) or self._by_number.get(number_or_extension)
