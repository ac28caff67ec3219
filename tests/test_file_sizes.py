"""No module in complaints/ or classifier/ grows past 500 lines (migrations and the corpus
data aside): past that a file holds more than one job, and a newcomer cannot guess from its
name what is in it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 500
CHECKED = ("*.py", "*.html", "*.js", "*.txt")


def test_no_file_over_the_limit():
    too_long = {}
    for package in ("complaints", "classifier", "inspections", "early_warning"):
        for pattern in CHECKED:
            for path in (ROOT / package).rglob(pattern):
                relative = path.relative_to(ROOT)
                if "migrations" in relative.parts or relative.parts[:2] == (
                    "classifier",
                    "corpus",
                ):
                    continue
                lines = len(path.read_text(encoding="utf-8").splitlines())
                if lines > LIMIT:
                    too_long[str(relative)] = lines
    assert too_long == {}, f"split these by job (limit {LIMIT} lines): {too_long}"
