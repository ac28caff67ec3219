"""Personal data in complaint text: detection and masking.

Operators and the public only ever see masked text; regulators see the original.
"""

import re

from stdnum.cn import ric, uscc
from stdnum import luhn

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_USCC = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")


def _mask_id(match: re.Match) -> str:
    value = match.group(0)
    return value[:3] + "*" * (len(value) - 5) + value[-2:] if ric.is_valid(value) else value


def _mask_uscc(match: re.Match) -> str:
    value = match.group(0)
    return value if not uscc.is_valid(value) else value


def _mask_card(match: re.Match) -> str:
    value = match.group(0)
    digits = re.sub(r"\D", "", value)
    if 16 <= len(digits) <= 19 and luhn.is_valid(digits):
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
    return value


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return digits[:3] + "****" + digits[-4:]


def mask_text(text: str) -> str:
    """Replace personal data in `text` with masked forms."""
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
    text = _ID.sub(_mask_id, text)
    text = _CARD.sub(_mask_card, text)
    text = _MOBILE.sub(_mask_phone, text)
    text = _LANDLINE.sub(_mask_phone, text)
    return text
