"""What people type, paste or click, turned into the number RingOut dials, with a preview.

Pure and Qt-free: the dial pad calls `parse_dial_input` on every keystroke, so nothing here
touches the network or the disk, and nothing raises anything but `InvalidNumber` for any input.

Decisions worth knowing:

- Only numbers that libphonenumber calls *valid* for their region are accepted. A number that is
  merely *possible* (the right length, but in a range the numbering plan does not use) is refused
  with its own sentence: the platform refuses such numbers too (TEL-109), and every refused
  RingOut still spends one of the ten Heavy requests a minute and rings the operator's own phone
  first. The price is that a range opened after the installed `phonenumbers` metadata was built
  cannot be dialled until that package is updated; that is rare and the sentence tells the
  person to check the digits.
- An extension (`x12`, `ext. 12`, `;ext=12`, `#12`, or pauses `,,12`, `p12`, `w12`) is kept
  apart from the number: RingOut has no way to send digits into a call, so the preview tells
  the person to key it after connecting.
- `*` and `#` codes (`*67`, `#31#`) are features of a phone, not destinations: refused with a
  sentence. Emergency numbers are refused too: they must be dialled from a phone, where the
  emergency service gets the caller's location.
- Letters are mapped to keypad digits (1-800-FLOWERS) except a label in front of the number
  ("Tel: ...", "Mobile ...") and words in brackets ("(office)"), which are dropped, and the
  pause letters `p` and `w` standing alone after digits, which are pauses like a comma.
- Text that is a phone link (`tel:`, `callto:`, `sip:`; see `ringdesk.links`) is read as one: its
  number and `;ext=` are used, and a link without a number to dial gives nothing to dial. Text
  with any other scheme is cleaned as pasted text, so "Mobile:+16505551234" still reads as a
  number in the dial pad (`parse_link` refuses it: there it is a link of another scheme).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult, shortnumberinfo

from ringdesk.errors import RingDeskError
from ringdesk.links import MAX_EXTENSION_DIGITS, NO_NUMBER, LinkParts, split_link
from ringdesk.regions import region_in_sentence, region_name

__all__ = [
    "DialTarget",
    "InvalidNumber",
    "clean_input",
    "digits_of",
    "format_for_display",
    "parse_dial_input",
    "parse_link",
    "same_number",
]


class InvalidNumber(RingDeskError):
    """The input is not something RingOut can call; `user_message` says why in one sentence."""

    default_user_message = "That is not a phone number RingDesk can call."


@dataclass(frozen=True)
class DialTarget:
    """A number RingOut can dial, and how to show it."""

    #: What RingOut dials: E.164, or for an internal call the extension's number ("101").
    e164: str
    display: str
    region_code: str | None
    region_name: str
    extension: str | None = None
    #: An extension of the operator's own company, dialled by its short number.
    internal: bool = False

    @property
    def called(self) -> str:
        """The number and its country ("+1 650-555-1234, United States"): what the call's card shows."""
        return self.display if self.internal else f"{self.display}, {self.region_name}"

    @property
    def preview(self) -> str:
        """What the dialer shows under the entry: the number, its country, and the extension to key."""
        text = self.called
        if self.extension and not self.internal:
            text += f"; key in extension {self.extension} once connected"
        return text


def clean_input(text: str) -> str:
    """The dialable characters of `text`: digits, a leading `+`, `*`, `#`, and `x<extension>`.

    Never raises. Idempotent: cleaning a cleaned string changes nothing, so the dial pad can put
    the result back into its field.
    """
    number, extension = _split_cleaned(text)
    return f"{number}x{extension}" if extension else number


def parse_dial_input(
    text: str, default_region: str, *, extension_lengths: Collection[int] = ()
) -> DialTarget:
    """The number `text` means, for someone whose extension is in `default_region` (ISO 3166 code).

    Digits alone, as many as the company's extension numbers have (`extension_lengths`), are an
    internal call to that extension: the company's own numbering comes before the country's, as
    on a desk phone of the same company. Raises `InvalidNumber` with a sentence for anything
    RingOut cannot call.
    """
    if len(text) > _MAX_INPUT_CHARS:
        raise InvalidNumber("That is too long to be a phone number.")
    if not text.strip():
        raise InvalidNumber("Type a number to call.")
    link = _link_in(text)
    if link is not None and link.is_phone_link and link.why_not:
        raise InvalidNumber(link.why_not)
    number, extension = _split_cleaned(text)
    if not number:
        if extension:
            raise InvalidNumber("Type the whole phone number; RingOut cannot call an extension on its own.")
        raise InvalidNumber("That does not look like a phone number.")
    if "*" in number or "#" in number:
        raise InvalidNumber(
            "Codes with * or # work only when keyed on a phone; RingOut can call phone numbers only."
        )

    region = default_region.strip().upper() if default_region else ""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = _UNKNOWN_REGION

    if not number.startswith("+") and region != _UNKNOWN_REGION and _is_emergency(number, region):
        raise InvalidNumber(f"Call {number} from a phone; RingDesk does not place emergency calls.")
    if number.isdigit() and len(number) in extension_lengths:
        if extension:
            raise InvalidNumber("An extension of your company is called by its number alone.")
        return DialTarget(
            e164=number, display=f"Extension {number}", region_code=None, region_name="", internal=True
        )

    digit_count = sum(ch.isdigit() for ch in number)
    if digit_count > _MAX_DIGITS:
        raise InvalidNumber("That number has too many digits.")

    try:
        parsed = phonenumbers.parse(number, region)
    except NumberParseException as error:
        raise _parse_error(error, number, region) from None

    parsed_region = phonenumbers.region_code_for_number(parsed)
    message_region = parsed_region or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    region_name = _region_name(message_region)
    in_region = _region_in_sentence(message_region)

    if not phonenumbers.is_valid_number(parsed):
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        # "Add the area code" fits only what someone typed as a local number of their own region.
        typed_locally = not number.startswith("+") and parsed.country_code == (
            phonenumbers.country_code_for_region(region)
        )
        if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY and typed_locally:
            raise InvalidNumber("Add the area code; the number alone cannot be dialled from elsewhere.")
        if reason == ValidationResult.TOO_LONG:
            raise InvalidNumber(f"That number has too many digits for {in_region}.")
        if reason == ValidationResult.INVALID_COUNTRY_CODE:
            raise InvalidNumber(f"There is no country with the code +{parsed.country_code}.")
        if reason == ValidationResult.IS_POSSIBLE:
            raise InvalidNumber(f"That number is not in use in {in_region}; check the digits.")
        # TOO_SHORT, INVALID_LENGTH: the person is most likely still typing.
        raise InvalidNumber(f"That is not a complete phone number for {in_region}.")

    parsed.extension = None
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    display = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    # "001" is libphonenumber's code for non-geographic numbers (+800 freephone, +882...).
    is_geographic = bool(parsed_region) and parsed_region != _NON_GEOGRAPHIC
    return DialTarget(
        e164=e164,
        display=display,
        region_code=parsed_region if is_geographic else None,
        region_name=region_name if is_geographic else "International service",
        extension=extension or None,
    )


def parse_link(text: str) -> str:
    """The dialable text (`+16505551234x12`, as `clean_input` writes it) of a link or a bare number.

    `text` is a `tel:`, `callto:` or `sip:` link (`ringdesk.links` reads its syntax) or pasted
    text holding a number; the result goes to `parse_dial_input`, which decides whether the
    number exists. Raises `InvalidNumber` with a sentence for a link of another scheme, a link
    without a number to dial, and text without digits: nothing dialable comes of those.
    """
    link = _link_in(text)
    if len(text) > _MAX_INPUT_CHARS:
        if link is None:
            raise InvalidNumber("That is too long to be a phone number.")
        raise InvalidNumber("That link is too long to hold a phone number.")
    if link is not None and link.why_not:
        raise InvalidNumber(link.why_not)
    number, extension = _split_cleaned(text)
    if not any(ch.isdigit() for ch in number):
        raise InvalidNumber(NO_NUMBER if link is not None else "That does not look like a phone number.")
    return f"{number}x{extension}" if extension else number


def digits_of(text: str | None) -> str:
    """Only the digits of `text` ("+1 (650) 555-1234" -> "16505551234"); "" for None.

    For comparing and searching numbers written in different ways, not for dialling: the plus,
    `*`, `#` and an extension marker are dropped with everything else (`clean_input` keeps them).
    """
    return "".join(ch for ch in text or "" if ch.isdigit())


def same_number(a: str, b: str) -> bool:
    """Whether two numbers, as digits (`digits_of`), are the same phone.

    Platforms show one number in national and international forms; the last ten digits identify
    a number well enough to find one's own call among a few.
    """
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 7 and a[-10:] == b[-10:])


@functools.lru_cache(maxsize=1024)
def format_for_display(e164: str) -> str:
    """`+16505551234` as `+1 650-555-1234`; anything unparsable comes back unchanged.

    Kept for the numbers seen last: a history lists the operator's own phone on every row, and
    libphonenumber takes tens of microseconds a number."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


# --- Implementation -------------------------------------------------------------------------

# libphonenumber itself refuses more than 250 characters; refusing early also keeps every regex
# below on short strings, whatever is pasted.
_MAX_INPUT_CHARS = 250
# E.164 allows at most 15 digits; a few more leave room for an international prefix (011, 00).
_MAX_DIGITS = 20
_UNKNOWN_REGION = "ZZ"
_NON_GEOGRAPHIC = "001"

_KEYPAD = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "22233344455566677778889999",
)

# Words that introduce an extension: "x12", "ext. 12", "extension 12", ";ext=12".
_EXTENSION_WORDS = frozenset({"x", "ext", "extn", "extension"})
# In the reduced form of the input (see `_reduce`), `X` stands for one of those words. An
# extension is the digits after the last marker, at the very end: `X12`, `#12`, or pauses `,,12`
# (how phones and contact cards write "then key these digits"). A closing `#` is allowed.
_EXTENSION_AT_END = re.compile(rf"(?P<marker>X|#|,+)(?P<digits>[0-9]{{1,{MAX_EXTENSION_DIGITS}}})#?$")
# A single comma could also be a thousands separator (650,555,1234): it counts as a pause only
# after something long enough to be a whole number.
_MIN_DIGITS_BEFORE_PAUSE = 7
# "p" (pause) and "w" (wait), standing alone after digits: how older phones and RFC 2806 dial
# strings write "then key these digits" (+1 650 555 1234p12). Read like commas.
_PAUSE_LETTERS = frozenset("pw")
_BRACKETED_WORDS = re.compile(r"[(\[{][^()\[\]{}0-9]*[a-z][^()\[\]{}0-9]*[)\]}]", re.IGNORECASE)
# "+44 (0) 20 ...": the national trunk prefix written in brackets after the country code.
_TRUNK_ZERO = re.compile(r"^(\+[0-9 ]{1,4})\(0\)")
_TOKEN = re.compile(r"[0-9]|[A-Za-z]+|[+*#,]")


def _split_cleaned(text: str) -> tuple[str, str]:
    """(dialable characters, extension digits) of `text`; never raises.

    Cleaning must be idempotent (the dial pad puts the result back into its field), but letters
    that become digits can complete an extension that was not there before (`#3 x` -> `#39`).
    Cleaning the cleaned form again until nothing changes settles that: each round can only
    move digits into the extension or drop a closing `#`, so it ends after at most three.
    """
    number, extension = _split_once(text)
    for _ in range(4):
        again = _split_once(f"{number}x{extension}" if extension else number)
        if again == (number, extension):
            break
        number, extension = again
    return number, extension


def _split_once(text: str) -> tuple[str, str]:
    if len(text) > _MAX_INPUT_CHARS:
        text = text[:_MAX_INPUT_CHARS]
    link_extension = ""
    link = _link_in(text)
    if link is not None and link.is_phone_link:
        if link.why_not:
            # Digits in a name, a server's address or a refused link are not a number to dial.
            return "", ""
        text, link_extension = link.number_text, link.extension
    text = _normalize(text)
    text = _BRACKETED_WORDS.sub(" ", text)
    text = _TRUNK_ZERO.sub(r"\1", text.strip())
    reduced, marker_words = _reduce(text)

    extension, reduced = _take_extension(reduced)
    # Commas that are not a pause are separators; without them another marker may end the
    # input ("123,#4"), so look once more. Cleaning a cleaned string then finds the same.
    reduced = reduced.replace(",", "")
    if not extension:
        extension, reduced = _take_extension(reduced)

    # Marker words that introduced no extension were letters after all (1-800-TAXI-EXT...).
    words = iter(marker_words)
    number = "".join(
        next(words).upper().translate(_KEYPAD) if ch == "X" else ch for ch in reduced if ch != ","
    )
    if number.endswith("#") and number.count("#") == 1 and "*" not in number and len(number) > 1:
        # A closing "#" is how some people finish typing a number on a phone keypad.
        number = number[:-1]
    return number, link_extension or extension


def _take_extension(reduced: str) -> tuple[str, str]:
    """(extension, the rest) when the reduced input ends with an extension; otherwise ("", reduced)."""
    match = _EXTENSION_AT_END.search(reduced)
    if match is None:
        return "", reduced
    marker = match.group("marker")
    # An X left before the marker becomes keypad digits, so it counts as one.
    digits_before = sum(ch.isdigit() or ch == "X" for ch in reduced[: match.start()])
    if marker == "X":
        # "x12" alone stays an extension, so the sentence can say that a number is missing.
        is_extension = True
    elif marker == "#":
        # "#12" alone is a service code, not the extension of nothing.
        is_extension = digits_before > 0
    else:
        is_extension = digits_before >= _MIN_DIGITS_BEFORE_PAUSE or len(marker) > 1
    if not is_extension:
        return "", reduced
    return match.group("digits"), reduced[: match.start()]


def _reduce(text: str) -> tuple[str, list[str]]:
    """`text` as digits, a leading `+`, `*`, `#`, `,` and `X` for each extension word.

    Returns the reduced string and the original extension words, in order, so that a word that
    turns out not to introduce an extension can still become keypad digits.
    """
    out: list[str] = []
    marker_words: list[str] = []
    seen_number = False
    for token in _TOKEN.findall(text):
        if token[0].isalpha():
            if token.lower() in _EXTENSION_WORDS:
                out.append("X")
                marker_words.append(token)
            elif seen_number and set(token.lower()) <= _PAUSE_LETTERS:
                out.append("," * len(token))
            elif seen_number:
                # Letters after the first digit are a vanity number (1-800-FLOWERS); letters before
                # it are a label ("Tel", "Mobile") and are dropped.
                out.append(token.upper().translate(_KEYPAD))
        elif token == "+":
            # Only a leading plus means "country code follows"; one elsewhere is noise.
            if not out:
                out.append(token)
                seen_number = True
        else:
            out.append(token)
            seen_number = seen_number or token != ","
    return "".join(out), marker_words


def _normalize(text: str) -> str:
    """Unicode digits, pluses and spaces of every kind to their ASCII forms; invisible characters removed."""
    # NFKC turns full-width digits and plus signs, and the many space characters, into ASCII.
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(" " if ch.isspace() else ch)
        elif ch.isdecimal():
            # Arabic-Indic, Devanagari and other decimal digits NFKC leaves alone.
            out.append(str(unicodedata.decimal(ch)))
        elif ch in "\u2795\ufe62":
            out.append("+")
        else:
            # Nothing else outside ASCII can be dialled: zero-width spaces, joiners and direction
            # marks arrive with copied numbers, and other scripts' letters have no keypad digits.
            # A space keeps the words around them apart.
            out.append(" ")
    return "".join(out)


def _link_in(text: str) -> LinkParts | None:
    """The link `text` is, read after `_normalize` as everything else is; None for other text."""
    return split_link(_normalize(text))


def _is_emergency(number: str, region: str) -> bool:
    try:
        return bool(shortnumberinfo.is_emergency_number(number, region))
    except Exception:  # a metadata quirk must not make the dial pad crash
        return False


def _parse_error(error: NumberParseException, number: str, region: str) -> InvalidNumber:
    kind = error.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        if number.startswith("+"):
            return InvalidNumber("There is no country with that code after the +.")
        return InvalidNumber("Start the number with + and the country code, for example +44 20 7946 0958.")
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        if region == _UNKNOWN_REGION:
            return InvalidNumber("That is not a complete phone number.")
        return InvalidNumber(f"That is not a complete phone number for {_region_in_sentence(region)}.")
    if kind == NumberParseException.TOO_LONG:
        return InvalidNumber("That number has too many digits.")
    return InvalidNumber("That does not look like a phone number.")


def _region_name(region_code: str | None) -> str:
    """The English name of a region ("United States"), or its code when there is none."""
    if not region_code or region_code in (_UNKNOWN_REGION, _NON_GEOGRAPHIC):
        return "International service"
    return region_name(region_code)


def _region_in_sentence(region_code: str | None) -> str:
    """The region as it reads after "for" or "in" ("the United States")."""
    if not region_code or region_code in (_UNKNOWN_REGION, _NON_GEOGRAPHIC):
        return "international services"
    return region_in_sentence(region_code)
