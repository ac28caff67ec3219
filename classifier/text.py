"""Text normalisation, language detection and word segmentation for complaint text.

Everything the model sees passes through `normalise`, so training and prediction agree on
what a character, a number or a phone number looks like.
"""

import functools
import re
import unicodedata
from pathlib import Path

import opencc
import rjieba
from sklearn.base import BaseEstimator, TransformerMixin

_T2S = opencc.OpenCC("t2s")


def _traditional_characters() -> frozenset[str]:
    """Characters that OpenCC's t2s table changes; text without any of them skips conversion.

    Converting costs more than everything else in normalisation, and most complaints are in
    Simplified characters already.
    """
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets and source not in targets.split():
            chars.add(source)
    return frozenset(chars)


TRADITIONAL_CHARS = _traditional_characters()

URL_TOKEN = " urltok "
PHONE_TOKEN = " phonetok "
MONEY_TOKEN = " moneytok "
PLACEHOLDERS = ("urltok", "phonetok", "moneytok")

_URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|io|app|top|xyz|cc|vip)(?:/\S*)?\b"
)
_PHONE_RE = re.compile(
    r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"  # mainland mobile
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"  # landline with area code
    r"|(?<!\d)[48]00[- ]?\d{3}[- ]?\d{4}(?!\d)"  # 400/800 service lines
    r"|\+\d{1,3}[- ]?\(?\d{2,4}\)?[- ]?\d{3,4}[- ]?\d{3,4}(?!\d)"  # international
)
_AMOUNT = r"\d[\d,]*(?:\.\d+)?"
_MONEY_RE = re.compile(
    rf"(?:[¥$€£]|rmb|cny|usd|hk\$|us\$)\s?{_AMOUNT}(?:\s?(?:万|千|k|w))?"
    rf"|{_AMOUNT}\s?(?:万|千|k|w)?\s?(?:元|块钱|块|美元|美金|人民币|rmb|yuan|cny|usd|dollars?|bucks|quid|pounds?|euros?)"
)
_DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")
_ANY_DIGIT = re.compile(r"\d").search
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[a-zA-Z]")


def normalise(text: str) -> str:
    """NFKC, full-width to half-width, Traditional to Simplified, lower case, placeholders.

    URLs, phone numbers and sums of money become fixed tokens; other numbers collapse to
    "0", so "paid 38 yuan" and "paid 1,299 yuan" look alike to the model.
    """
    # NFKC also turns full-width forms (U+FF01..U+FF5E, the ideographic space) half-width.
    text = unicodedata.normalize("NFKC", text)
    if not TRADITIONAL_CHARS.isdisjoint(text):
        text = _T2S.convert(text)
    text = text.lower()
    # The patterns are costly and most complaints have no URL, and many no digit at all.
    if "." in text or "//" in text:
        text = _URL_RE.sub(URL_TOKEN, text)
    if _ANY_DIGIT(text):
        text = _PHONE_RE.sub(PHONE_TOKEN, text)
        text = _MONEY_RE.sub(MONEY_TOKEN, text)
        text = _DIGITS_RE.sub("0", text)
    return " ".join(text.split())


def detect_language(text: str) -> str:
    """ "zh-hans", "zh-hant" or "en", by script: Chinese once CJK characters carry a fair share.

    A Chinese character carries about as much as an English word of five letters, so a
    complaint that only quotes a Chinese app name in English prose stays English.
    """
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cjk == 0 or cjk * 5 < latin * 0.5:
        return "en"
    return "zh-hans" if TRADITIONAL_CHARS.isdisjoint(text) else "zh-hant"


_PLACEHOLDER_SPLIT_RE = re.compile(r"\b(urltok|phonetok|moneytok)\b")
_WORD_RE = re.compile(r"[a-z][a-z0-9'_-]*|0")
_EN_CLAUSE_RE = re.compile(r"[.,;:!?()\"]+")

# Negation: a cue word negates the next few words of its clause, which the word features see
# as "not_" + word, so "价格没有杀熟" and "never agreed" do not read as "杀熟" and "agreed".
# Character n-grams are left alone (they keep spelling variants). Clauses end at punctuation
# and at words that turn the sentence ("就是", "but").
NEGATION_PREFIX = "not_"


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


NEGATION_SCOPE = 3
ZH_NEGATION_CUES = _word_set(
    "没有 没 未 并未 并没有 从未 从没 从来没 从没有 未曾 不 并不 不是 并非 非 无 毫无 不存在 别"
)
EN_NEGATION_CUES = _word_set(
    "not no never nothing nobody without nor don't doesn't didn't isn't wasn't aren't weren't "
    "haven't hasn't hadn't won't wouldn't can't cannot couldn't shouldn't dont didnt doesnt "
    "isnt wasnt cant wont"
)
ZH_SCOPE_END = _word_set(
    "就 就是 但 但是 可是 只是 而是 不过 却 而 还 也 才 又 所以 因为 结果 然后 反而"
)
EN_SCOPE_END = _word_set("but however though although just only yet instead and so")

# The mirror image: a step that went well ("注销很顺利", "deletion went smoothly") names the
# step without complaining about it. The words before such a cue, in its clause, are read as
# "ok_" + word, so "注销" there does not count as a cancellation complaint.
RESOLVED_PREFIX = "ok_"
RESOLVED_SCOPE = 3
ZH_RESOLVED_CUES = _word_set("顺利 很顺利 挺顺利 顺畅 没问题 很方便 挺方便 很简单 挺简单 办妥 秒到")
EN_RESOLVED_CUES = _word_set(
    "smoothly smooth painless painlessly hassle-free flawlessly effortless effortlessly easily"
)


def _resolved(words: list[str], start: int) -> None:
    """Mark, in place, up to RESOLVED_SCOPE words before the end of `words` (not before
    `start`, the clause's first word) as resolved, unless already negated."""
    for i in range(max(start, len(words) - RESOLVED_SCOPE), len(words)):
        if (
            not words[i].startswith((NEGATION_PREFIX, RESOLVED_PREFIX))
            and words[i] not in PLACEHOLDERS
        ):
            words[i] = RESOLVED_PREFIX + words[i]


def _negated(words: list[str], cues: frozenset[str], ends: frozenset[str]) -> list[str]:
    """`words` of one clause with the scope of each negation cue prefixed."""
    out, left = [], 0
    for word in words:
        if word in EN_RESOLVED_CUES and not left:
            _resolved(out, 0)
            out.append(word)
            left = 0
        elif word in cues:
            out.append(word)
            left = NEGATION_SCOPE
        elif left and word not in ends:
            out.append(NEGATION_PREFIX + word)
            left -= 1
        else:
            out.append(word)
            left = 0
    return out


@functools.lru_cache(maxsize=8192)
def segment(normalised: str) -> str:
    """Space-separated words of normalised text: jieba for Chinese runs, letters for the rest,
    with negated words marked (see NEGATION_PREFIX).

    jieba's algorithm and dictionary, run by rjieba (jieba-rs, its Rust port): the same
    words as the Python original (a test checks it on the corpus) at a sixteenth of the cost.
    Cached because cross-validation segments the same texts once per fold; prediction texts
    rarely repeat, so the cache stays small in a worker.
    """
    words: list[str] = []
    for piece in _PLACEHOLDER_SPLIT_RE.split(normalised):
        if piece in PLACEHOLDERS:
            words.append(piece)
        elif _CJK_RE.search(piece):
            # No HMM: new-word discovery costs a third more time and adds little for labels.
            left = 0
            clause = len(words)
            for word in rjieba.cut(piece, hmm=False):
                word = word.strip()
                if not word:
                    continue
                if not (_CJK_RE.match(word) or _WORD_RE.match(word)):
                    left = 0  # punctuation closes the clause
                    clause = len(words)
                elif word in ZH_RESOLVED_CUES and not left:
                    _resolved(words, clause)
                    words.append(word)
                    left = 0
                elif word in ZH_NEGATION_CUES or word in EN_NEGATION_CUES:
                    words.append(word)
                    left = NEGATION_SCOPE
                elif left and word not in ZH_SCOPE_END and word not in EN_SCOPE_END:
                    words.append(NEGATION_PREFIX + word)
                    left -= 1
                else:
                    words.append(word)
                    left = 0
        elif "n" in piece:  # every English cue has an n
            for clause in _EN_CLAUSE_RE.split(piece):
                words.extend(_negated(_WORD_RE.findall(clause), EN_NEGATION_CUES, EN_SCOPE_END))
        else:
            words.extend(_WORD_RE.findall(piece))
    return " ".join(words)


class TextNormaliser(TransformerMixin, BaseEstimator):
    """Pipeline step: raw complaint text in, normalised text out. Stateless."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [normalise(text) for text in X]


class WordSegmenter(TransformerMixin, BaseEstimator):
    """Pipeline step: normalised text in, space-separated words out. Stateless."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [segment(text) for text in X]


# Problem items: a regulator's notice often lists several problems ("问题项：…；…", "一、…二、…",
# "1. … 2. …"). Read whole, the second problem's words are outweighed by the first's and its
# label falls under the second-label minimum; read item by item, each is a one-label text the
# model knows. Only explicit lists count: numbered items, or semicolon-separated items after a
# heading that announces problems.
_ITEM_NUMBER_RE = re.compile(
    r"[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]|[①-⑳]"
    r"|(?:^|(?<=[\s：:；;。，,！!？?]))(?:\d{1,2}[.、)](?!\d)|[一二三四五六七八九十]{1,3}、)"
)
_ITEM_HEADING_RE = re.compile(
    r"问题项|问题清单|通报问题|存在(?:以下|如下|下列)问题|主要问题|问题[：:]"
    r"|\b(?:issues?|problems?|findings?|violations?)(?: found| identified)?\s*:",
    re.IGNORECASE,
)
_ITEM_SEMICOLON_RE = re.compile(r"[；;]")
ITEM_MIN_CHARS = 4


def problem_items(text: str) -> list[str]:
    """The problems a text lists one by one, or [] when it is not such a list (fewer than two).

    Numbered items ("1." "一、" "（二）" "②") are split at their numbers; without numbers, a
    heading that announces problems ("问题项：", "存在以下问题", "Issues found:") followed by
    items separated by semicolons. Text before the first item (the heading) is not an item.
    """
    starts = [m.end() for m in _ITEM_NUMBER_RE.finditer(text)]
    if len(starts) >= 2:
        bounds = [m.start() for m in _ITEM_NUMBER_RE.finditer(text)][1:] + [len(text)]
        items = [text[s:e] for s, e in zip(starts, bounds, strict=True)]
    else:
        heading = _ITEM_HEADING_RE.search(text)
        if heading is None:
            return []
        items = _ITEM_SEMICOLON_RE.split(text[heading.end() :])
    items = [item.strip(" \t\n：:；;，,。") for item in items]
    items = [item for item in items if len(item) >= ITEM_MIN_CHARS]
    return items if len(items) >= 2 else []
