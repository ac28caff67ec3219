"""The labelled corpus and its fixed train/test split.

A complaint belongs to the test split when a stable hash of its lightly normalised text falls
in the lowest fifth; the keys of every test example are also recorded in
`classifier/corpus/test_split.txt`, so an example once in the test split stays there even if
the rule or the text normalisation changes, and training never sees it.
"""

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SPLIT_RECORD = CORPUS_DIR / "test_split.txt"
TEST_FRACTION = 0.2


class CorpusError(ValueError):
    """A corpus or evaluation file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    labels: tuple[str, ...]
    lang: str = ""
    source: str = ""
    # How the complaint is written (corpus v2, see corpus/WRITING.md); "" for the first corpus.
    register: str = ""

    @property
    def split_key(self) -> str:
        return split_key(self.text)


def split_key(text: str) -> str:
    """A stable identity for a text: SHA-256 of its NFKC, lower-cased, space-collapsed form.

    Deliberately simpler than the model's normalisation, which may change between versions;
    this must not.
    """
    key_text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return hashlib.sha256(key_text.encode("utf-8")).hexdigest()[:20]


def in_test_by_rule(key: str) -> bool:
    return int(key[:8], 16) / 0x100000000 < TEST_FRACTION


def examples_read(path: Path, *, require_lang: bool = False) -> list[Example]:
    """Examples from one JSON Lines file: `text` and `labels` required, other fields ignored."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise CorpusError(f"{path}:{number}: expected a JSON object")
            text, labels = row.get("text"), row.get("labels")
            if not isinstance(text, str) or not text.strip():
                raise CorpusError(f"{path}:{number}: `text` must be a non-empty string")
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                raise CorpusError(f"{path}:{number}: `labels` must be a list of taxonomy codes")
            lang = row.get("lang", "")
            if require_lang and lang not in ("zh", "en"):
                raise CorpusError(f"{path}:{number}: `lang` must be zh or en")
            examples.append(
                Example(
                    text=text,
                    labels=tuple(sorted(set(labels))),
                    lang=lang,
                    source=f"{path.name}:{number}",
                    register=row.get("register", "")
                    if isinstance(row.get("register"), str)
                    else "",
                )
            )
    return examples


def corpus_load(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every labelled example under the corpus directory, exact duplicates dropped."""
    seen: set[str] = set()
    examples = []
    for path in sorted(directory.glob("*.jsonl")):
        for example in examples_read(path, require_lang=True):
            if not example.labels:
                raise CorpusError(f"{example.source}: an example needs at least one label")
            if example.split_key not in seen:
                seen.add(example.split_key)
                examples.append(example)
    if not examples:
        raise CorpusError(f"{directory}: no labelled examples (*.jsonl files) to learn from")
    return examples


def corpus_hash(examples: Iterable[Example]) -> str:
    """SHA-256 over the examples in a canonical order: the corpus's identity in the registry."""
    digest = hashlib.sha256()
    for line in sorted(json.dumps([e.text, list(e.labels)], ensure_ascii=False) for e in examples):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def split_record_path(directory: Path = CORPUS_DIR) -> Path:
    return Path(directory) / SPLIT_RECORD.name


def split_record_read(path: Path = SPLIT_RECORD) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    return frozenset(
        line.split()[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def split_record_write(examples: Iterable[Example], path: Path = SPLIT_RECORD) -> int:
    """Record the test split's keys, with their source line for people reading the file.

    Keys already recorded stay, even when their text has left the corpus, so an example
    that comes back is still a test example.
    """
    known = split_record_read(path)
    test = sorted((e.split_key, e.source) for e in examples if is_test(e, known))
    current = {key for key, _ in test}
    header = (
        "# The fixed test split: one example per line, by split key (classifier.dataset.split_key).\n"
        "# Written by `manage.py train_classifier --record-split`; keys are never removed.\n"
    )
    body = "".join(f"{key} {source}\n" for key, source in test)
    body += "".join(f"{key} (not in the corpus now)\n" for key in sorted(known - current))
    path.write_text(header + body, encoding="utf-8")
    return len(test)


def is_test(example: Example, record: frozenset[str]) -> bool:
    key = example.split_key
    return key in record or in_test_by_rule(key)


def split(
    examples: list[Example], *, record: frozenset[str]
) -> tuple[list[Example], list[Example]]:
    """(train, test). Deterministic: the same text always lands on the same side."""
    train, test = [], []
    for example in examples:
        (test if is_test(example, record) else train).append(example)
    return train, test


def corpus_split(directory: Path = CORPUS_DIR) -> tuple[list[Example], list[Example]]:
    """The corpus in `directory`, split by the rule and the record kept beside it."""
    return split(corpus_load(directory), record=split_record_read(split_record_path(directory)))


def label_counts(examples: Iterable[Example]) -> dict[str, int]:
    return dict(sorted(Counter(label for e in examples for label in e.labels).items()))


def example_counts(train: list[Example], test: list[Example], extra: int = 0) -> dict:
    """The counts a model version records about the data it saw."""
    return {
        "train": len(train),
        "test": len(test),
        "confirmed": extra,
        "train_by_label": label_counts(train),
        "test_by_label": label_counts(test),
        "train_by_lang": dict(Counter(e.lang for e in train)),
        "test_by_lang": dict(Counter(e.lang for e in test)),
        "multi_label": sum(1 for e in [*train, *test] if len(e.labels) > 1),
    }
