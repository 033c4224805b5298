"""Finding people as the operator types: by any part of a name, with or without its accents, by
extension, or by number however it is written. Qt-free, and fast enough for every keystroke over
a large company directory (`tests/bench/people.py` prints the figures).

    index = PeopleIndex(people)
    index.search("zoe")          # "Zoë Lefèvre" first; accents and case do not matter
    index.search("650 555 01")   # anyone with a number containing 65055501, whatever its format
    index.search("12")           # extension 12 first, then extensions and numbers with 12 in them

Ranking, best first: favourites, people called recently, the exact extension, a name starting
with what was typed (any of its words), an extension or number starting with it, then anything
containing it. Within a rank, by name. Every typed word must match the person somewhere.
"""

from __future__ import annotations

import enum
import heapq
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ringdesk.platforms.base import Person, PersonNumber

__all__ = ["Match", "PeopleIndex", "Person", "PersonNumber", "Rank", "fold"]

#: Letters that lose their accent only by hand (Unicode does not decompose them).
_BY_HAND = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ß": "ss"})


def fold(text: str) -> str:
    """`text` for matching: case folded, accents dropped ("Zoë" -> "zoe", "Łukasz" -> "lukasz")."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_BY_HAND))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


class Rank(enum.IntEnum):
    FAVOURITE = 0
    RECENT = 1
    EXACT_EXTENSION = 2
    NAME_STARTS = 3
    NUMBER_STARTS = 4
    CONTAINS = 5


@dataclass(frozen=True)
class Match:
    person: Person
    rank: Rank


@dataclass(frozen=True)
class _Entry:
    person: Person
    #: The folded name, each word after a space (" zoe lefevre"): a word start is " " + what was typed.
    name_key: str
    #: The folded name and details, for what is typed anywhere in them.
    text: str
    #: The digits of each number.
    digits: tuple[str, ...]
    #: The extension and the numbers' digits in one string, to look for a number in at once.
    all_digits: str
    sort_key: str
    #: Its place in the index: the last word between two entries of one name.
    position: int


#: An entry that matched: its rank, then what orders entries of one rank (name, then place).
_Ranked = tuple[Rank, str, int, _Entry]


class PeopleIndex:
    """People prepared once for searching; `search` then touches only what it must.

    Typing narrows: when a query extends the one before it, only that one's matches are looked at
    again. Each search first keeps the entries that hold what was typed at all (a substring test
    in C), and ranks only those.
    """

    def __init__(self, people: Iterable[Person]) -> None:
        self._entries = [_prepare(person, position) for position, person in enumerate(people)]
        #: The last query (its kind and folded text) and every entry it matched, ranked.
        self._last: tuple[str, str, list[_Ranked]] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        favourites: Collection[str] = (),
        recent: Collection[str] = (),
    ) -> list[Match]:
        """The best `limit` matches for `query`; `favourites` and `recent` are person ids.

        A query without letters is a number, however it is written ("(650) 555-01"); otherwise
        each of its words must match the name or the details."""
        folded = fold(query)
        if any(ch.isalpha() for ch in folded):
            kind, key = "words", " ".join(folded.replace("-", " ").split())
        else:
            kind, key = "number", _digits(folded)
        if not key:
            return []
        last = self._last
        if last is not None and last[0] == kind and key.startswith(last[1]):
            candidates = [item[3] for item in last[2]]
        else:
            candidates = self._entries
        if kind == "words":
            words = key.split()
            for word in words:
                candidates = [entry for entry in candidates if word in entry.text]
            ranked = [
                (rank, e.sort_key, e.position, e)
                for e in candidates
                if (rank := _rank_words(e, words)) is not None
            ]
        else:
            candidates = [entry for entry in candidates if key in entry.all_digits]
            ranked = [(_rank_number(e, key), e.sort_key, e.position, e) for e in candidates]
        self._last = (kind, key, ranked)
        if favourites or recent:
            ranked = [
                (_preferred(item[0], item[3].person.id, favourites, recent), *item[1:]) for item in ranked
            ]
        return [Match(entry.person, rank) for rank, _key, _position, entry in heapq.nsmallest(limit, ranked)]


def _preferred(rank: Rank, person: str, favourites: Collection[str], recent: Collection[str]) -> Rank:
    if person in favourites:
        return Rank.FAVOURITE
    return min(rank, Rank.RECENT) if person in recent else rank


def _prepare(person: Person, position: int) -> _Entry:
    name = " ".join(fold(person.name).replace("-", " ").split())
    details = " ".join(fold(detail) for detail in person.details)
    digits = tuple(filter(None, (_digits(n.number) for n in person.numbers)))
    all_digits = "|".join((person.extension, *digits))
    return _Entry(person, f" {name}", f"{name} {details}", digits, all_digits, name, position)


def _rank_words(entry: _Entry, words: list[str]) -> Rank | None:
    """How well `entry` matches every one of `words`, or None when one of them does not."""
    worst = Rank.NAME_STARTS
    for word in words:
        if f" {word}" in entry.name_key:
            continue
        if word not in entry.text:
            return None
        worst = Rank.CONTAINS
    return worst


def _rank_number(entry: _Entry, number: str) -> Rank:
    """`entry` holds `number` (its `all_digits` were checked): where, as a rank."""
    extension = entry.person.extension
    if number == extension:
        return Rank.EXACT_EXTENSION
    if extension.startswith(number):
        return Rank.NUMBER_STARTS
    # A number's start is its first digit, or the first after a country code of one to three.
    for digits in entry.digits:
        if 0 <= digits.find(number) <= 3:
            return Rank.NUMBER_STARTS
    return Rank.CONTAINS


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
