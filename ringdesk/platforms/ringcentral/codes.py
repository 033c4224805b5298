"""RingCentral's error codes in sentences a person can act on.

The platform names every error with a stable code (`TEL-109`, `CMN-102`) and often the request
field it blames (`to.phoneNumber`); its own message text may change at any time, so sentences are
chosen by code and field only. Codes compare without regard to case.

`error_code_sentence` serves any request (`errormap` fills `ApiError.user_message` with it; the
history window explains a stored code with it); `ringout_create_error_sentence` serves placing a
RingOut, where a bare code implies more than it does elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["RINGOUT_CREATE_ERROR_SENTENCES", "error_code_sentence", "ringout_create_error_sentence"]

# Codes that mean something a person can act on; the texts say what happened and, where possible,
# what to do.
_CODE_SENTENCES: Mapping[str, str] = {
    "TEL-101": "The number you are calling is blocked.",
    "TEL-102": "The number you are calling is blocked.",
    "TEL-107": "The caller ID you chose is not allowed for your extension.",
    "RNG-102": "The caller ID you chose is not allowed for your extension.",
    "TEL-108": "The phone number RingDesk should ring first is not valid.",
    "TEL-109": "The number you are calling is not valid.",
    "BIL-103": "RingOut calls are not available on your account or extension.",
    "CMN-112": "RingOut calls are not available on your account or extension.",
    "CMN-102": "Something the request refers to no longer exists; refresh and try again.",
    "CMN-101": "The phone service did not accept one of the values sent.",
    "CMN-401": "RingDesk lacks a permission for this on your account; ask your administrator.",
    "CMN-403": "You do not have permission to do this.",
    "CMN-408": "You do not have permission to do this.",
    "CMN-301": "Too many requests in a short time; please wait a moment.",
    "CMN-302": "Too many requests in a short time; please wait a moment.",
    "CMN-405": "You are not signed in. Please sign in.",
    "OAU-128": "Your sign-in has expired. Please sign in again.",
    "OAU-129": "Your sign-in is not valid. Please sign in again.",
    "OAU-149": "Your sign-in is no longer valid. Please sign in again.",
    "OAU-213": "Your sign-in is no longer valid. Please sign in again.",
    "OAU-211": "Your sign-in is no longer valid. Please sign in again.",
}

# Some codes blame a parameter, and the parameter tells which number was wrong. A key matches the
# end of the blamed name, so `forwardingNumberId` also covers `from.forwardingNumberId`.
_PARAMETER_SENTENCES: Mapping[tuple[str, str], str] = {
    ("CMN-102", "forwardingNumberId"): (
        "The phone you chose to be rung first no longer exists; refresh your phone list."
    ),
    ("TEL-108", "to.phoneNumber"): "The number you are calling is not valid.",
    ("TEL-109", "from.phoneNumber"): "The phone number RingDesk should ring first is not valid.",
    ("TEL-108", "from.phoneNumber"): "The phone number RingDesk should ring first is not valid.",
    ("TEL-109", "to.phoneNumber"): "The number you are calling is not valid.",
    ("TEL-107", "callerId.phoneNumber"): "The caller ID you chose is not allowed for your extension.",
}


def error_code_sentence(error_code: str | None, parameter_name: str | None = None) -> str | None:
    """The sentence for a platform error code (refined by the parameter it blamed), or None."""
    if not error_code:
        return None
    code = error_code.upper()
    if parameter_name:
        for (known_code, known_parameter), sentence in _PARAMETER_SENTENCES.items():
            if known_code == code and parameter_name.endswith(known_parameter):
                return sentence
    return _CODE_SENTENCES.get(code)


# --------------------------------------------------------------------------- placing a RingOut

# The codes the platform returns when a RingOut cannot be placed. Their sentences are the general
# ones above; placing a RingOut only adds which parameter a bare `CMN-102` is about, and what a
# missing permission means here.
_RINGOUT_CREATE_CODES = (
    "TEL-108",
    "TEL-109",
    "TEL-107",
    "RNG-102",
    "CMN-102",
    "CMN-401",
    "CMN-112",
    "BIL-103",
    "TEL-101",
    "TEL-102",
)
_RINGOUT_CREATE_IMPLIED_PARAMETER: Mapping[str, str] = {"CMN-102": "from.forwardingNumberId"}
_RINGOUT_CREATE_OWN_SENTENCES: Mapping[str, str] = {
    "CMN-401": (
        "RingDesk is not allowed to place RingOut calls on your account; ask your administrator to "
        "give the app the RingOut permission."
    ),
}


def ringout_create_error_sentence(error_code: str | None, parameter_name: str | None = None) -> str | None:
    """The sentence for an error code met when placing a RingOut, or None for other codes."""
    if not error_code:
        return None
    code = error_code.upper()
    own = _RINGOUT_CREATE_OWN_SENTENCES.get(code)
    if own is not None:
        return own
    if code not in _RINGOUT_CREATE_CODES:
        return None
    return error_code_sentence(code, parameter_name or _RINGOUT_CREATE_IMPLIED_PARAMETER.get(code))


RINGOUT_CREATE_ERROR_SENTENCES: Mapping[str, str] = {
    code: sentence
    for code in _RINGOUT_CREATE_CODES
    if (sentence := ringout_create_error_sentence(code)) is not None
}
"""Every RingOut create error code with its sentence (for views and documentation)."""
