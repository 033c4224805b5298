"""The company directory of the simulator's account, as `GET .../directory/entries` lists it.

The account's own users come first (their extensions and names as the scenario has them), then a
few hundred generated entries: people, call queues (the platform's `Department` type), shared
lines, announcements and rooms, across several sites and departments, with names in several
scripts and with diacritics ("Zoë", "Łukasz", "Søren", "Иван", "佐藤"), so that searching by any
part of a name, with or without its accents, has something real to find. The generation is
deterministic: the same seed gives the same directory on every run and machine.

    entries = company_directory(scenario.account, seed=7)
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from ringdesk.simulator.scenario import Account

__all__ = ["DirectoryEntry", "DirectorySite", "company_directory"]

#: Generated entries besides the account's own users.
GENERATED = 300


@dataclass(frozen=True)
class DirectorySite:
    id: str
    name: str
    code: str
    #: The site's numbers start with this (E.164, without the last four digits).
    prefix: str


SITES = (
    DirectorySite("400131005101", "Main Site", "HQ", "+1650555"),
    DirectorySite("400131005102", "New York Office", "NYC", "+1212555"),
    DirectorySite("400131005103", "London Office", "LON", "+4420794"),
    DirectorySite("400131005104", "Kraków Office", "KRK", "+4812555"),
)

DEPARTMENTS = ("Sales", "Support", "Billing", "Engineering", "Logistics", "Front Desk", "Legal")

#: Names in several scripts, many with diacritics: a person's first and last name come from one group.
NAME_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Zoë", "Anaïs", "Chloé", "Émile", "François", "Hélène", "Noémie"), ("Dubois", "Lefèvre", "Brontë")),
    (("José", "Iñigo", "Raúl", "Ximena"), ("Nuñez", "García", "Peña")),
    (("Søren", "Björn", "Lars", "Pål", "Ulla"), ("Østergaard", "Åkesson", "Håkansson")),
    (("Łukasz", "Wojciech", "Tomáš"), ("Kowalski", "Nowak", "Škoda")),
    (("Małgorzata", "Kateřina"), ("Wiśniewska", "Nowak")),
    (("Gökhan", "Oğuz", "Yusuf"), ("Çelik", "Yılmaz")),
    (("Jürgen", "Zsófia", "Siân"), ("Müller", "O'Brien", "Szabó")),
    (("Alex", "Sam", "Priya", "Omar", "Grace", "Liam", "Noah", "Emma", "Olivia", "Ava"),
     ("Smith", "Johnson", "Williams", "Brown", "Jones", "Patel", "Kim")),
    (("Vũ", "Mai"), ("Nguyễn", "Trần")),
    (("Иван", "Дмитрий"), ("Смирнов", "Петров")),
    (("Елена", "Ольга"), ("Смирнова", "Иванова")),
    (("美咲", "健"), ("佐藤", "山田")),
    (("伟", "芳"), ("陈", "王")),
    (("Αλέξανδρος", "Μαρία"), ("Παπαδόπουλος", "Οικονόμου")),
)  # fmt: skip
JOB_TITLES = ("Account manager", "Agent", "Team lead", "Engineer", "Coordinator", "Paralegal", "Analyst")
#: Non-user entries: (type, name).
SHARED = (
    ("Department", "Sales queue"),
    ("Department", "Support queue"),
    ("Department", "Billing queue"),
    ("SharedLinesGroup", "Reception shared line"),
    ("Announcement", "Holiday announcement"),
    ("Limited", "Lobby phone"),
    ("Limited", "Conference room Ærø"),
)


@dataclass(frozen=True)
class DirectoryEntry:
    id: str
    type: str
    extension_number: str
    site: DirectorySite
    first_name: str = ""
    last_name: str = ""
    #: The name of a non-user entry (a queue, a shared line, a room).
    name: str = ""
    email: str = ""
    department: str = ""
    job_title: str = ""
    #: (E.164 number, usage type): direct numbers, and a mobile for some people.
    phone_numbers: tuple[tuple[str, str], ...] = field(default=())

    def record(self, account: Account) -> dict[str, object]:
        """The entry as the platform's `ContactResource`."""
        record: dict[str, object] = {
            "id": self.id,
            "type": self.type,
            "status": "Enabled",
            "account": {"id": str(account.id), "companyName": account.company},
            "extensionNumber": self.extension_number,
            "site": {"id": self.site.id, "name": self.site.name, "code": self.site.code},
            "phoneNumbers": [
                {"phoneNumber": number, "type": "VoiceFax", "usageType": usage}
                for number, usage in self.phone_numbers
            ],
        }
        if self.type == "User":
            record.update(firstName=self.first_name, lastName=self.last_name)
        else:
            record["name"] = self.name
        for key, value in (
            ("email", self.email),
            ("department", self.department),
            ("jobTitle", self.job_title),
        ):
            if value:
                record[key] = value
        return record


def company_directory(account: Account, *, seed: int = 7, generated: int = GENERATED) -> list[DirectoryEntry]:
    """The account's users, then `generated` more entries, in extension-number order of each."""
    rng = random.Random(seed)
    entries = [
        DirectoryEntry(
            id=str(user.extension_id),
            type="User",
            extension_number=user.extension_number,
            site=SITES[0],
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            department="Front Desk",
            phone_numbers=tuple((number.phone_number, "DirectNumber") for number in user.phone_numbers[:1]),
        )
        for user in account.users
    ]
    taken = {entry.extension_number for entry in entries}
    for index in range(generated):
        site = SITES[index % len(SITES)]
        number = str(200 + index)
        while number in taken:
            number = str(int(number) + 1000)
        taken.add(number)
        entry_id = str(400131006000 + index)
        direct = f"{site.prefix}{1000 + index:04d}"
        if index < len(SHARED):
            kind, name = SHARED[index]
            entries.append(
                DirectoryEntry(
                    entry_id, kind, number, site, name=name, phone_numbers=((direct, "DirectNumber"),)
                )
            )
            continue
        firsts, lasts = rng.choice(NAME_GROUPS)
        first, last = rng.choice(firsts), rng.choice(lasts)
        numbers: list[tuple[str, str]] = [(direct, "DirectNumber")]
        if rng.random() < 0.4:
            numbers.append((f"+1415555{2000 + index:04d}", "MobileNumber"))
        entries.append(
            DirectoryEntry(
                entry_id,
                "User",
                number,
                site,
                first_name=first,
                last_name=last,
                email=_email(first, last, index),
                department=rng.choice(DEPARTMENTS),
                job_title=rng.choice(JOB_TITLES),
                phone_numbers=tuple(numbers),
            )
        )
    return entries


def _email(first: str, last: str, index: int) -> str:
    """first.last with the accents dropped, or a plain address for names in other scripts."""
    parts = [
        "".join(ch for ch in unicodedata.normalize("NFKD", name) if ch.isascii() and ch.isalnum())
        for name in (first, last)
    ]
    local = ".".join(parts) if all(parts) else "user"
    return f"{local}{index}@ringdesk-demo.example".lower()
