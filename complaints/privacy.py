"""Personal data in complaint text: detection and masking.

Operators and the public only ever see masked text; regulators see the original. Candidates
are found with patterns and kept only when python-stdnum or phonenumbers validates them, so
prices, dates, amounts and version numbers pass through untouched.
"""

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc


class PiiKind:
    EMAIL = "email"
    RESIDENT_ID = "resident_id"
    CREDIT_CODE = "credit_code"
    BANK_CARD = "bank_card"
    MOBILE = "mobile"
    LANDLINE = "landline"
    NAME = "name"


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int
    end: int
    value: str

    @property
    def masked(self) -> str:
        return _MASKERS[self.kind](self.value)


# Full-width digits and letters (common in Chinese input methods) are read as ASCII; the
# mapping is one character to one character, so positions stay valid in the original text.
_FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"\uff0b": "+", "\uff0d": "-", "\uff08": "(", "\uff09": ")", "\u3000": " ", "\uff20": "@"}
    | {"\uff0e": ".", "\uff3f": "_"}
)

# A number is only a number when it is not part of a longer one: no digit (or decimal point
# followed by a digit) on either side.
_NUM_START = r"(?<![0-9])(?<![0-9]\.)"
_NUM_END = r"(?![0-9])(?!\.[0-9])"

# Addresses as people write them: a space around "@" or a dot ("alice @ example . com"), and
# internationalised domains (例子.中国, bücher.de, xn--fiqs8s).
_DOMAIN_LABEL = r"[A-Za-z0-9\u00c0-\u024f\u0400-\u04ff\u4e00-\u9fff-]+"
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+ ?@ ?"
    + _DOMAIN_LABEL
    + r"(?: ?\. ?"
    + _DOMAIN_LABEL
    + r")*? ?\. ?(?:xn--[A-Za-z0-9-]+|[A-Za-z]{2,}(?![A-Za-z])|[\u4e00-\u9fff]{2,3})"
)
# 18 characters in one run or in 6-8-4 groups; or the first-generation 15 digits.
_RESIDENT_ID_RE = re.compile(
    _NUM_START
    + r"(?:[1-9][0-9]{16}[0-9Xx]|[1-9][0-9]{5}([ -])[0-9]{8}\1[0-9]{3}[0-9Xx]"
    + r"|[1-9][0-9]{14}(?![Xx]))"
    + _NUM_END
)
_CREDIT_CODE_RE = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Za-z])"
)
# Cards are 16–19 digits, written either in one run or in groups of four with one kind of
# separator; loose runs of digits (two dates side by side) are not cards.
_BANK_CARD_RE = re.compile(
    _NUM_START
    + r"(?:[0-9]{16,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?"
    # Irregular groups as some banks print them (6222 021234 5678 901), one separator kind.
    + r"|[0-9]{4,6}([ -])[0-9]{2,8}(?:\2[0-9]{2,8}){1,3})"
    + _NUM_END
)
_MOBILE_RE = re.compile(
    _NUM_START
    + r"(?<!\+)(?:(?:\+|00)?86[ -]?)?"
    + r"(?:1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
    # 138.1234.5678, 138/1234/5678, 138–1234–5678: 3-4-4 with one separator kind.
    + r"|(?<![A-Za-z])1[3-9][0-9]([./\u2013\u2014])[0-9]{4}\1[0-9]{4}"  # not v138.1234.5678
    # 1 3 8 1 2 3 4 5 6 7 8: a space between every digit.
    + r"|1 [3-9](?: [0-9]){9})"
    + _NUM_END
)
_LANDLINE_RE = re.compile(
    # With the country code the trunk 0 is usually left out: +86 10 6234 5678.
    _NUM_START
    + r"(?<!\+)(?:(?:\+|00)?86[ -]?\(?0?[1-9][0-9]{1,2}\)?|\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})"
    r"[ ./\u2013-]?[2-9][0-9]{2,3}[ ./\u2013-]?[0-9]{4}" + _NUM_END
)


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def _is_resident_id(value: str) -> bool:
    value = re.sub(r"[ -]", "", value).upper()
    try:
        if len(value) == 15:
            # A first-generation number is the 18-digit one without the century (19) and
            # without the check character: validate it as that.
            value = value[:6] + "19" + value[6:]
            value += ric.calc_check_digit(value + "0")  # it skips the last character given
        return ric.is_valid(value)
    except (KeyError, ValueError):  # python-stdnum trips over some region codes in its tables
        return False


def _is_credit_code(value: str) -> bool:
    try:
        return uscc.is_valid(value)
    except (KeyError, ValueError):
        return False


def _is_bank_card(value: str) -> bool:
    digits = _digits(value)
    # Chinese bank cards (UnionPay and the international schemes) start with 3–6.
    return 16 <= len(digits) <= 19 and digits[0] in "3456" and luhn.is_valid(digits)


@dataclass(frozen=True)
class _Phone:
    kind: str  # PiiKind.MOBILE or PiiKind.LANDLINE
    national: str  # national significant number: 13812345678, 1062345678
    area_length: int  # digits of the area code in `national` (landlines)


@functools.lru_cache(maxsize=4096)
def phone_parse_cn(text: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers' reading of `text`, China the default region, or None. Cached (callers
    must not change the result): a caller's number often stands both in the complaint's text
    and in its contact field, and parsing is most of the cost of checking either."""
    try:
        return phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None


@functools.lru_cache(maxsize=4096)
def _cn_phone(value: str) -> _Phone | None:
    """A valid Chinese phone number as phonenumbers reads it, or None. Cached: the same
    matched text is checked and then masked."""
    digits = _digits(value)
    if value.lstrip().startswith("00"):
        digits = digits[2:]
    # Written numbers start with 1 (mobile) or 0 (trunk prefix): a leading 86 is the country.
    if digits.startswith("86"):
        digits = "+86" + digits[2:].lstrip("0")
    number = phone_parse_cn(digits)
    if number is None:
        return None
    # number_type() answers UNKNOWN for a number that is not valid: one look-up, not two.
    kind = phonenumbers.number_type(number)
    national = str(number.national_number)
    if kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return _Phone(PiiKind.MOBILE, national, 0)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return _Phone(
            PiiKind.LANDLINE, national, phonenumbers.length_of_geographical_area_code(number) or 3
        )
    return None


def _is_mobile(value: str) -> bool:
    phone = _cn_phone(value)
    return phone is not None and phone.kind == PiiKind.MOBILE


def _is_landline(value: str) -> bool:
    phone = _cn_phone(value)
    return phone is not None and phone.kind == PiiKind.LANDLINE


def _keep(value: str, head: int, tail: int) -> str:
    """Show `head` and `tail` characters; every other letter or digit becomes *."""
    significant = [i for i, char in enumerate(value) if char.isalnum()]
    hidden = set(significant[head : len(significant) - tail])
    return "".join("*" if i in hidden else char for i, char in enumerate(value))


def _mask_email(value: str) -> str:
    local, domain = value.split("@", 1)
    return f"{local[0]}***@{domain}"


def _mask_phone(value: str) -> str:
    # The usual Chinese form: 138****5678.
    phone = _cn_phone(value)
    national = phone.national if phone else _digits(value)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def _mask_landline(value: str) -> str:
    # The area code stays (it says only the city): 0755-******34.
    phone = _cn_phone(value)
    if phone is None:
        return _keep(value, 0, 2)
    subscriber = phone.national[phone.area_length :]
    return f"0{phone.national[: phone.area_length]}-{'*' * (len(subscriber) - 2)}{subscriber[-2:]}"


_MASKERS: dict[str, Callable[[str], str]] = {
    PiiKind.EMAIL: _mask_email,
    PiiKind.RESIDENT_ID: lambda value: _keep(value, 1, 1),
    PiiKind.CREDIT_CODE: lambda value: _keep(value, 2, 2),
    PiiKind.BANK_CARD: lambda value: _keep(value, 4, 4),
    PiiKind.MOBILE: _mask_phone,
    PiiKind.LANDLINE: _mask_landline,
    PiiKind.NAME: lambda value: _mask_name(value),  # defined with the name detector below
}

# Most specific first: a resident ID is also 18 digits that may pass Luhn, and a credit code
# may be all digits; the first detector to claim a stretch of text wins it.
_DETECTORS: tuple[tuple[str, re.Pattern, Callable[[str], bool]], ...] = (
    (PiiKind.EMAIL, _EMAIL_RE, lambda value: True),
    (PiiKind.RESIDENT_ID, _RESIDENT_ID_RE, _is_resident_id),
    (PiiKind.CREDIT_CODE, _CREDIT_CODE_RE, _is_credit_code),
    (PiiKind.BANK_CARD, _BANK_CARD_RE, _is_bank_card),
    (PiiKind.MOBILE, _MOBILE_RE, _is_mobile),
    (PiiKind.LANDLINE, _LANDLINE_RE, _is_landline),
)


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


# Every kind holds an "@" or seven digits with at most one space or hyphen between them (a
# phone number's groups, a card's, the digits of an ID or a credit code); text without either
# needs no closer look. Most complaints pass this in a few microseconds.
_WORTH_A_LOOK = re.compile(
    r"(?:[0-9\uff10-\uff19][ \-\u3000\uff0d./\u2013\u2014\uff0e]?){6}[0-9\uff10-\uff19]"
    r"|[@\uff20]|我叫|本人|联系人|我是|姓名"
)
_HAS_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")


# Stretches of digits with the separators numbers are written with. Phone, card and ID
# detectors only look inside these (plus the character or two after, for the X of an ID);
# emails and credit codes (which hold letters) are looked for in the whole text.
_NUMERIC_STRETCH = re.compile(r"[+(]*[0-9](?:[0-9 ()+\-./\u2013\u2014]*[0-9])?")
_WHOLE_TEXT_KINDS = (PiiKind.EMAIL, PiiKind.CREDIT_CODE)


# A personal name where a complainant introduces themself ("我叫张三", "联系人：欧阳娜娜"): a
# common surname and one or two more characters, ending where the name visibly ends.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "慕容",
    "令狐",
    "夏侯",
    "长孙",
)
_NAME_RE = re.compile(
    r"(?:我叫|本人|联系人|我是|姓名)[:：]?\s?(?P<name>(?:"
    + "|".join(_COMPOUND_SURNAMES)
    + r"|["
    + _SURNAMES
    + r"])[\u4e00-\u9fff]{1,2}?)"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|的|在|于|是)"
)
# Characters a given name does not hold here: "本人于昨日" is a date, not Mr Yu.
_NOT_IN_NAMES = set("在于是的了和与从到已今昨日年月天时个位先女士生用户客服手机电话")


def _names(text: str) -> list[PiiMatch]:
    found = []
    for match in _NAME_RE.finditer(text):
        name = match.group("name")
        if any(char in _NOT_IN_NAMES for char in name[_surname_length(name) :]):
            continue
        found.append(PiiMatch(PiiKind.NAME, match.start("name"), match.end("name"), name))
    return found


def _surname_length(name: str) -> int:
    return 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1


def _mask_name(value: str) -> str:
    # The surname stays, as on a parcel label: 张*, 欧阳**.
    surname = _surname_length(value)
    return value[:surname] + "*" * (len(value) - surname)


def pii_find(text: str) -> list[PiiMatch]:
    """Every validated piece of personal data in `text`, in order of position."""
    if not text or not _WORTH_A_LOOK.search(text):
        return []
    return list(_pii_find(text))


@functools.lru_cache(maxsize=16)
def _pii_find(text: str) -> tuple[PiiMatch, ...]:
    # Cached for the few texts in hand: a filing masks its description and ranks it by the
    # personal data in it, and both look at the same text (PiiMatch is frozen).
    normalised = text.translate(_FULL_WIDTH) if _HAS_FULL_WIDTH.search(text) else text
    length = len(normalised)
    stretches = [
        (match.start(), min(length, match.end() + 2))
        for match in _NUMERIC_STRETCH.finditer(normalised)
        if match.end() - match.start() >= 7
    ]
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern, is_valid in _DETECTORS:
        windows = [(0, length)] if kind in _WHOLE_TEXT_KINDS else stretches
        for low, high in windows:
            for match in _candidates(pattern, normalised, low, high):
                start, end = match.span()
                if _overlaps(start, end, taken) or not is_valid(match.group(0)):
                    continue
                found.append(PiiMatch(kind=kind, start=start, end=end, value=normalised[start:end]))
                taken.append((start, end))
    found.extend(name for name in _names(text) if not _overlaps(name.start, name.end, taken))
    return tuple(sorted(found, key=lambda item: item.start))


def _candidates(pattern: re.Pattern, text: str, low: int, high: int) -> Iterator[re.Match]:
    # Overlapping candidates matter: "86" may belong to the number or to the words before it.
    # Look-behinds still see the text before `low`; `high` cuts the text off.
    position = low
    while True:
        match = pattern.search(text, position, high)
        if match is None:
            return
        yield match
        position = match.start() + 1


def mask_text(text: str) -> str:
    """`text` with every piece of personal data replaced by its masked form."""
    matches = pii_find(text)
    if not matches:
        return text
    pieces = []
    position = 0
    for item in matches:
        pieces.append(text[position : item.start])
        pieces.append(item.masked)
        position = item.end
    pieces.append(text[position:])
    return "".join(pieces)


def masked_copy(text: str) -> str | None:
    """What a complaint stores as its masked text: mask_text(text), or None when masking changes
    nothing (most complaints hold no personal data, and the text is then stored once)."""
    masked = mask_text(text)
    return None if masked == text else masked


def contains_pii(text: str) -> bool:
    return bool(pii_find(text))


def mask_value(value: Any) -> Any:
    """Mask every string inside a JSON-like value (the per-kind details of a complaint)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    return value


def mask_phone(value: str) -> str:
    """A contact phone number shown back to its owner on a status page: 138****5678."""
    digits = _digits(value)
    return _mask_phone(value) if len(digits) >= 7 else "*" * len(value)


def mask_email(value: str) -> str:
    return _mask_email(value) if "@" in value else "*" * len(value)
