"""The syntax of phone links (`tel:`, `callto:`, `sip:`): which text is the number, and what came with it.

Pure and Qt-free, and blind to numbering plans: `split_link` finds the number text and the
parameters of a link; `ringdesk.numbers` cleans that text (separators, letters, pauses) and
decides whether it can be dialled, so there is one idea of what a number is.

Rules, and why:

- A link starts with a URI scheme (RFC 3986: a letter, then letters, digits or `+-.`, then `:`),
  after any surrounding whitespace and angle brackets (`<tel:...>` from e-mail). `tel:`,
  `callto:`, `sip:` and `sips:` are read leniently, spaces included, because CRMs write
  `tel:+1 (650) 555-1234`. Another scheme makes a link only when the text holds no whitespace,
  as a URI never does: "Mobile: +1 650 555 1234" is pasted text with a label, not a link.
- A link is split into its parts before they are percent-decoded, so an encoded `%3B` stays in
  its part instead of starting a parameter (RFC 3986, section 2.4). Invalid escapes (`%zz`) stay
  as written; bytes that are not UTF-8 become U+FFFD, which no number contains.
- Parameter names are not case-sensitive and may come in any order; the first of a name counts,
  unknown ones are ignored, and so are a query (`?body=...`) and SIP headers (`?subject=...`).
- A local number whose `;phone-context=` is a global number (`tel:7946-0958;phone-context=+44-20`)
  gets that context in front. RFC 3966 (section 5.1.5) says the context is the scope in which
  the number is unique and "does NOT indicate a prefix that turns the local number into a
  global (E.164) number"; but a global-number context is the leading digits of the numbers in
  that scope, putting it in front is what libphonenumber does, and what senders mean in
  practice. When the two do not make one number, the result is not a valid number and
  `ringdesk.numbers` refuses it, so nothing wrong is dialled: the RFC's own example
  `tel:863-1234;phone-context=+1-914-555` becomes fourteen digits and is refused.
- A local number whose context is a domain (`tel:7042;phone-context=example.com`) is a number of
  that organisation's own plan: the number is handed on without a prefix, and the domain is
  kept in `phone_context` for whoever knows that plan.
- An extension (`;ext=`) must be digits (RFC 3966 allows visual separators in it). A link whose
  extension is not is refused rather than dialled without it: the main number would ring
  someone other than the person the link names, and nobody would notice why.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

__all__ = [
    "MAX_EXTENSION_DIGITS",
    "NO_NUMBER",
    "OTHER_SCHEME",
    "PHONE_SCHEMES",
    "LinkParts",
    "split_link",
]

#: The schemes whose links name a phone number; every other scheme is refused with `OTHER_SCHEME`.
PHONE_SCHEMES = frozenset({"tel", "callto", "sip", "sips"})
#: The longest extension anyone is asked to key after connecting; longer digits are not an extension.
MAX_EXTENSION_DIGITS = 8

OTHER_SCHEME = "RingDesk opens tel:, callto: and sip: links only."
NO_NUMBER = "That link holds no phone number."


@dataclass(frozen=True, slots=True)
class LinkParts:
    """The parts of a link; `why_not` is the sentence saying why there is nothing to dial, or None.

    `number_text` is the number as written (percent-decoded, with a global phone-context in
    front): separators, letters (`1-800-FLOWERS`) and pauses (`,,12`, `p12`) are left for
    `ringdesk.numbers` to clean. `isub` is the ISDN subaddress, kept for display and never
    dialled: RingOut has no way to send a subaddress, and the call reaches the number without it.
    When `why_not` is set, the other fields but `scheme` are empty.
    """

    scheme: str
    number_text: str = ""
    extension: str = ""
    isub: str = ""
    phone_context: str = ""
    why_not: str | None = None

    @property
    def is_phone_link(self) -> bool:
        """Whether the scheme is one RingDesk opens, whether or not this link holds a number."""
        return self.scheme in PHONE_SCHEMES


def split_link(text: str) -> LinkParts | None:
    """The parts of the link `text`, or None when `text` does not start with a scheme. Never raises."""
    link = text.strip()
    if link.startswith("<") and link.endswith(">"):
        link = link[1:-1].strip()
    match = _SCHEME.match(link)
    if match is None:
        return None
    scheme = match.group("scheme").lower()
    rest = link[match.end() :]
    if scheme == "tel":
        return _read_subscriber(scheme, _without_query(rest.lstrip("/")))
    if scheme == "callto":
        return _split_callto(rest)
    if scheme in ("sip", "sips"):
        return _split_sip(scheme, rest)
    if any(ch.isspace() for ch in link):
        return None
    return LinkParts(scheme, why_not=OTHER_SCHEME)


# --- Implementation -------------------------------------------------------------------------

_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
# RFC 3966 visual separators, and the spaces people put in anyway.
_VISUAL_SEPARATORS = re.compile(r"[-.() ]")
# What Skype-era pages append to a callto: number: `callto://+16505551234+type=phone`.
_CALLTO_TYPE = re.compile(r"\+type=[A-Za-z]*", re.IGNORECASE)
# A SIP user part that is a number without `;user=phone`: digits, a leading +, * and #
# (feature codes, which `ringdesk.numbers` refuses with its own sentence), and separators.
_SIP_PHONE_USER = re.compile(r"\+?[0-9*#().\- ]+")
# A name from a link shown in a sentence is cut to this length.
_MAX_SHOWN_CHARS = 40


def _read_subscriber(scheme: str, subscriber: str) -> LinkParts:
    """The parts of an RFC 3966 telephone-subscriber: `number;param=value;...`."""
    number_text, *params = subscriber.split(";")
    number_text = _decode(number_text).strip()
    values: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        values.setdefault(_decode(name).strip().lower(), _decode(value).strip())
    if not any(ch.isdigit() for ch in number_text):
        return LinkParts(scheme, why_not=NO_NUMBER)

    written_extension = values.get("ext", "")
    extension = _VISUAL_SEPARATORS.sub("", written_extension)
    if extension and not (extension.isascii() and extension.isdigit()):
        return LinkParts(
            scheme,
            why_not=f"The extension in that link ({_shown(written_extension)}) is not a number; "
            "RingDesk does not call without it.",
        )
    if len(extension) > MAX_EXTENSION_DIGITS:
        return LinkParts(
            scheme,
            why_not=f"The extension in that link is longer than {MAX_EXTENSION_DIGITS} digits; "
            "RingDesk does not call without it.",
        )

    phone_context = values.get("phone-context", "")
    is_global_context = phone_context.startswith("+") and any(ch.isdigit() for ch in phone_context)
    if is_global_context and not number_text.startswith("+"):
        # A space, not a hyphen, so that `+44` and `(0)20 ...` still read as a trunk zero.
        number_text = f"{phone_context} {number_text}"
    return LinkParts(
        scheme,
        number_text=number_text,
        extension=extension,
        isub=values.get("isub", ""),
        phone_context=phone_context,
    )


def _split_callto(rest: str) -> LinkParts:
    """`callto:` holds a phone number or a Skype name; Skype names start with a letter."""
    body = _CALLTO_TYPE.sub("", _without_query(rest.lstrip("/")))
    name = _decode(body.split(";", 1)[0]).strip()
    if name[:1].isalpha():
        return LinkParts("callto", why_not=_names_a_person("callto", name))
    return _read_subscriber("callto", body)


def _split_sip(scheme: str, rest: str) -> LinkParts:
    """A SIP URI (RFC 3261) whose user part is a phone number, with or without `;user=phone`."""
    userinfo, at, host_part = _without_query(rest).partition("@")
    if not at:
        # `sip:host` names a server; digits there are an IP address, not a number.
        return LinkParts(scheme, why_not=NO_NUMBER)
    # The password comes last in the userinfo and cannot itself contain a colon.
    user = userinfo.rpartition(":")[0] if ":" in userinfo else userinfo
    # `;user=phone` says the user part is a telephone-subscriber, letters and all.
    says_phone = any(
        name.strip().lower() == "user" and value.strip().lower() == "phone"
        for name, _, value in (param.partition("=") for param in host_part.split(";")[1:])
    )
    name = _decode(user.split(";", 1)[0]).strip()
    if not name:
        return LinkParts(scheme, why_not=NO_NUMBER)
    if not says_phone and not (_SIP_PHONE_USER.fullmatch(name) and any(ch.isdigit() for ch in name)):
        return LinkParts(scheme, why_not=_names_a_person(scheme, name))
    return _read_subscriber(scheme, user)


def _without_query(text: str) -> str:
    return text.split("?", 1)[0]


def _decode(text: str) -> str:
    return urllib.parse.unquote(text, errors="replace")


def _names_a_person(scheme: str, name: str) -> str:
    return f"That link is for {_shown(name)}, not a phone number; RingDesk can call phone numbers only."


def _shown(text: str) -> str:
    """`text` fit for a sentence: printable characters only, and not too many of them."""
    printable = "".join(ch for ch in text if ch.isprintable())
    if len(printable) > _MAX_SHOWN_CHARS:
        return printable[: _MAX_SHOWN_CHARS - 1] + "…"
    return printable
