"""Masking personal data in complaint text: examples, then properties over generated text."""

import datetime

import phonenumbers
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from complaints.privacy import PiiKind, mask_phone, mask_text, mask_value, masked_copy, pii_find
from tests.factories import credit_code

# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的手机13812345678，请联系", "我的手机138****5678，请联系"),
        ("call +86 138 1234 5678 now", "call 138****5678 now"),
        ("8613812345678", "138****5678"),
        ("电话：010-62345678", "电话：010-******78"),
        ("(0755)88881234", "0755-******34"),
        ("+86 10 6234 5678", "010-******78"),
        ("身份证11010519491231002X。", "身份证1****************X。"),
        # python-stdnum's region table cannot place this one as an ID; it is a valid card.
        ("620741210001011059", "6207**********1059"),
        ("卡号 4111 1111 1111 1111 被盗刷", "卡号 4111 **** **** 1111 被盗刷"),
        ("卡号6212261202011584340", "卡号6212***********4340"),
        ("邮箱 alice.w@example.com。", "邮箱 a***@example.com。"),
        ("代码 91110000000000005X 公司", "代码 91**************5X 公司"),
        ("全角１３８１２３４５６７８号码", "全角138****5678号码"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "价格 ¥1,299.00，比别人贵 35.5 元",
        "订单金额 3456.78 元，订单号 202403151234567890",
        "日期 2024-03-15 2024-04-01，20240315，2024年3月15日 14:30",
        "版本 v13.8.1234.5678，build 10.0.19045",
        "客服 400-123-4567",  # a company's service number, not personal data
        "号码 13812345678901 太长",
        "卡号 4111 1111 1111 1112 校验不对",
        "身份证 110105194912310021 校验不对",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert mask_text(text) == text


def test_masked_copy_is_none_when_nothing_was_masked():
    assert masked_copy("不给通讯录权限就闪退") is None
    assert masked_copy("回拨 13812345678") == "回拨 138****5678"


def test_pii_find_names_each_kind():
    text = "a@b.cn 13812345678 010-62345678 11010519491231002X 4111111111111111 91110000000000005X"
    assert [item.kind for item in pii_find(text)] == [
        PiiKind.EMAIL,
        PiiKind.MOBILE,
        PiiKind.LANDLINE,
        PiiKind.RESIDENT_ID,
        PiiKind.BANK_CARD,
        PiiKind.CREDIT_CODE,
    ]


def test_mask_value_masks_strings_inside_details():
    details = {"scam_phones": ["13812345678"], "amount": 12.5, "note": {"who": "a@b.cn"}}
    assert mask_value(details) == {
        "scam_phones": ["138****5678"],
        "amount": 12.5,
        "note": {"who": "a***@b.cn"},
    }


def test_mask_phone_for_contact_numbers():
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("12") == "**"


# --- properties -----------------------------------------------------------------------------

# Text around the number: Chinese, English, punctuation and spaces, but no digits (a digit
# beside a number makes it a different, longer number) and no "@" (that makes it an email).
filler = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.characters(
            min_codepoint=0x20,
            max_codepoint=0x7E,
            blacklist_categories=("Nd",),
            blacklist_characters="@+.",
        ),
        st.sampled_from("，。；：！？、（）《》“” \n"),
    ),
    max_size=30,
)

REGIONS = ["110101", "110105", "310104", "440305", "510107", "330106", "420102", "320102"]
MOBILE_PREFIXES = [
    "130",
    "133",
    "135",
    "138",
    "139",
    "150",
    "152",
    "158",
    "166",
    "177",
    "180",
    "186",
    "189",
    "199",
]
AREA_CODES = ["010", "021", "020", "0755", "0571", "028", "027", "0512"]


@st.composite
def resident_ids(draw) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(
        st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2020, 12, 31))
    )
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    # calc_check_digit expects a full-length number and ignores its last character.
    number = body + ric.calc_check_digit(body + "0")
    assume(ric.is_valid(number))  # the county must have existed in the year of birth
    return number


@st.composite
def bank_cards(draw) -> str:
    prefix = draw(st.sampled_from(["62", "4", "51", "53", "35"]))
    length = draw(st.integers(16, 19))
    body = prefix + "".join(
        draw(
            st.lists(
                st.sampled_from("0123456789"),
                min_size=length - len(prefix) - 1,
                max_size=length - len(prefix) - 1,
            )
        )
    )
    number = body + luhn.calc_check_digit(body)
    if length == 16 and draw(st.booleans()):
        separator = draw(st.sampled_from(" -"))
        return separator.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


@st.composite
def mobiles(draw) -> str:
    digits = draw(st.sampled_from(MOBILE_PREFIXES)) + f"{draw(st.integers(0, 99_999_999)):08d}"
    style = draw(st.sampled_from(["plain", "spaced", "dashed", "+86", "+86 spaced", "86"]))
    spaced = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return {
        "plain": digits,
        "spaced": spaced,
        "dashed": spaced.replace(" ", "-"),
        "+86": "+86" + digits,
        "+86 spaced": "+86 " + spaced,
        "86": "86" + digits,
    }[style]


@st.composite
def landlines(draw) -> str:
    area = draw(st.sampled_from(AREA_CODES))
    subscriber = f"{draw(st.integers(2, 8))}{draw(st.integers(0, 9_999_999)):07d}"
    number = f"{area}-{subscriber}"
    assume(phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")))
    return draw(st.sampled_from([number, f"({area}){subscriber}", f"{area} {subscriber}"]))


def digits_of(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def assert_hidden(secret: str, before: str, after: str) -> None:
    masked = mask_text(before + secret + after)
    assert secret not in masked
    assert "*" in masked
    # Nothing but the secret changed.
    assert masked.startswith(before) and masked.endswith(after)
    # Masking is stable: masked text has nothing left to mask.
    assert mask_text(masked) == masked


@settings(max_examples=200)
@given(number=resident_ids(), before=filler, after=filler)
@example(number="11010519491231002X", before="ID", after="x")
def test_resident_ids_are_always_masked(number, before, after):
    assert_hidden(number, before, after)


@settings(max_examples=200)
@given(number=bank_cards(), before=filler, after=filler)
def test_bank_cards_are_always_masked(number, before, after):
    assert_hidden(number, before, after)
    assert digits_of(number)[4:-4] not in digits_of(mask_text(before + number + after))


@settings(max_examples=200)
@given(number=mobiles(), before=filler, after=filler)
@example(number="13812345678", before="call", after="now")
def test_mobile_numbers_are_always_masked(number, before, after):
    assert_hidden(number, before, after)


@settings(max_examples=200)
@given(number=landlines(), before=filler, after=filler)
def test_landline_numbers_are_always_masked(number, before, after):
    assert_hidden(number, before, after)


@settings(max_examples=100)
@given(before=filler, after=filler, n=st.integers(1, 10_000))
def test_credit_codes_are_masked(before, after, n):
    code = credit_code(n)
    assert_hidden(code, before + " ", " " + after)


prices = st.builds(
    lambda amount, style: style.format(amount),
    st.decimals(min_value=0, max_value=99_999, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["¥{}", "{}元", "价格 {} 元", "RMB {}", "${}", "订单金额：{}"]),
)
dates = st.builds(
    lambda day, style: day.strftime(style),
    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2035, 12, 31)),
    st.sampled_from(
        ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M", "%d.%m.%Y"]
    ),
)
versions = st.builds(
    lambda parts, prefix: prefix + ".".join(str(part) for part in parts),
    st.lists(st.integers(0, 99_999), min_size=2, max_size=4),
    st.sampled_from(["", "v", "V", "版本 ", "version "]),
)
ordinary = st.lists(st.one_of(prices, dates, versions, filler), min_size=1, max_size=8)


@settings(max_examples=300)
@given(pieces=ordinary)
def test_prices_dates_amounts_and_versions_are_never_masked(pieces):
    text = "，".join(pieces)
    assert mask_text(text) == text


# --- formats people also write (issue 14: masking misses) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("手机138.1234.5678请回电", "手机138****5678请回电"),
        ("号码138/1234/5678", "号码138****5678"),
        ("138–1234–5678", "138****5678"),
        ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
        ("电话 010.6234.5678", "电话 010-******78"),
        ("身份证110105 19491231 002X", "身份证1***** ******** ***X"),
        ("身份证110105-19491231-002X", "身份证1*****-********-***X"),
        ("老身份证110105491231002", "老身份证1*************2"),
        ("卡号6222 021234 567894", "卡号6222 ****** **7894"),
        ("邮箱 ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "邮箱 a***@example.com"),
        ("alice @ example . com", "a***@ example . com"),
        ("zhang@例子.中国", "z***@例子.中国"),
        ("user@bücher.de", "u***@bücher.de"),
        ("我叫张三，电话", "我叫张*，电话"),
        ("本人李四在北京", "本人李*在北京"),
        ("联系人：欧阳娜娜。", "联系人：欧阳**。"),
        ("我是王小明", "我是王**"),
    ],
)
def test_other_written_forms_are_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text", ["我是在淘宝买的", "本人于昨日下单，", "我是用户", "版本 v138.1234.5678"]
)
def test_words_after_the_name_cues_are_not_names(text):
    assert mask_text(text) == text


@st.composite
def written_mobiles(draw) -> str:
    digits = draw(st.sampled_from(MOBILE_PREFIXES)) + f"{draw(st.integers(0, 99_999_999)):08d}"
    separator = draw(st.sampled_from([".", "/", "\u2013"]))
    return draw(
        st.sampled_from(
            [
                f"{digits[:3]}{separator}{digits[3:7]}{separator}{digits[7:]}",
                " ".join(digits),
                "\uff11" + digits[1:].translate({ord(str(i)): 0xFF10 + i for i in range(10)}),
            ]
        )
    )


@settings(max_examples=150)
@given(number=written_mobiles(), before=filler, after=filler)
def test_mobiles_written_with_dots_slashes_dashes_or_spaces_are_masked(number, before, after):
    assert_hidden(number, before + " ", " " + after)


@settings(max_examples=150)
@given(number=resident_ids(), separator=st.sampled_from([" ", "-"]), before=filler, after=filler)
def test_resident_ids_in_groups_are_masked(number, separator, before, after):
    grouped = separator.join([number[:6], number[6:14], number[14:]])
    assert_hidden(grouped, before + " ", " " + after)


@settings(max_examples=150)
@given(number=resident_ids(), before=filler, after=filler)
def test_first_generation_ids_are_masked(number, before, after):
    assume(number[6:8] == "19")  # 15-digit numbers were issued to people born in the 1900s
    old = number[:6] + number[8:17]  # no century, no check character
    assert_hidden(old, before + " ", " " + after)


@settings(max_examples=150)
@given(
    local=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=12).filter(
        lambda local: local[0] not in "." and local[-1] != "."
    ),
    domain=st.sampled_from(["example.com", "例子.中国", "bücher.de", "xn--fiqs8s.xn--55qx5d"]),
    spaced=st.booleans(),
    before=filler,
    after=filler,
)
def test_emails_spaced_or_with_international_domains_are_masked(
    local, domain, spaced, before, after
):
    address = f"{local} @ {domain}" if spaced else f"{local}@{domain}"
    assert_hidden(address, before + " ", " " + after)
