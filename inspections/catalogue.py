"""The team's data tables (inspections/data/*.json): Android permissions with their protection
level and explanations, third-party SDK signatures, the kinds of personal information, and the
app types with what each may need. Loaded once; labels picked in the reader's language."""

import json
from functools import cache
from pathlib import Path

from django.utils import translation

DATA = Path(__file__).resolve().parent / "data"

NECESSARY = "necessary"
OPTIONAL = "optional"
BEYOND_SCOPE = "beyond_scope"
NOT_PERSONAL = "not_personal"
UNKNOWN_TYPE = "type_not_declared"


@cache
def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def permissions() -> dict[str, dict]:
    return _load("permissions.json")["permissions"]


def sdks() -> list[dict]:
    return _load("sdks.json")["sdks"]


def sdk_categories() -> dict[str, dict]:
    return _load("sdks.json")["categories"]


def pi_types() -> dict[str, dict]:
    return {key: value for key, value in _load("pi_types.json").items() if key != "_about"}


def app_types() -> dict[str, dict]:
    return _load("app_types.json")["app_types"]


def in_language(entry: dict, en: str = "en", zh: str = "zh") -> str:
    """The entry's text in the active language (zh-Hans or English)."""
    language = translation.get_language() or "en"
    return entry.get(zh if language.lower().startswith("zh") else en, "") or entry.get(en, "")


def permission_protection_level(name: str) -> str:
    facts = permissions().get(name)
    return facts["protection_level"] if facts else "unknown"


def permission_explanation(name: str) -> str:
    facts = permissions().get(name)
    return in_language(facts) if facts and "en" in facts else ""


def pi_label(code: str) -> str:
    entry = pi_types().get(code)
    return in_language(entry) if entry else code


def sdks_detect(class_packages: list[str], component_names: list[str]) -> list[dict]:
    """Each SDK whose prefix starts a class package or a component name, with the first few
    matching names as evidence."""
    found = []
    for sdk in sdks():
        evidence = []
        for source, names in (("dex", class_packages), ("manifest", component_names)):
            for name in names:
                if any(
                    name == prefix or name.startswith(prefix + ".") for prefix in sdk["prefixes"]
                ):
                    evidence.append(f"{source}:{name}")
        if evidence:
            found.append(
                {
                    "id": sdk["id"],
                    "name": sdk["name"],
                    "vendor": sdk["vendor"],
                    "category": sdk["category"],
                    "personal_data": sdk["personal_data"],
                    "evidence": evidence[:5],
                }
            )
    return found


def permission_scope(name: str, app_type: str) -> str:
    """necessary, optional (with separate consent) or beyond_scope for an app of this type;
    not_personal when the permission reaches no personal information; type_not_declared when
    the app has no type the table knows."""
    facts = permissions().get(name)
    reaches = set(facts["pi"]) if facts else set()
    if not reaches:
        return NOT_PERSONAL
    allowed = app_types().get(app_type)
    if allowed is None:
        return UNKNOWN_TYPE
    if reaches <= set(allowed["necessary"]):
        return NECESSARY
    if reaches <= set(allowed["necessary"]) | set(allowed["optional"]):
        return OPTIONAL
    return BEYOND_SCOPE
