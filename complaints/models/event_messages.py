"""The system's own sentences in the audit log, stored as a message id and its parameters
({"id": ..., "params": {...}} in Event.message) and put into words when read, in the reader's
language: a timeline written while a Chinese-speaking regulator worked reads in English for an
English-speaking consumer, and the other way round. Text that people type (notes, reasons,
questions, answers) stays in Event.reason as typed.

Ids are stable keys, not the English wording, so a sentence can be reworded without
migrating rows. Parameters are data: numbers, references, dates (ISO), names of apps and
companies; category codes and reject-reason codes are named in the reader's language too.
"""

import re
import time

from django.utils.translation import get_language, gettext, gettext_noop

from .complaints import Complaint
from .organisations import Category

MESSAGES: dict[str, str] = {
    "account_claimed": gettext_noop(
        "Added to the consumer's account after they confirmed their e-mail address."
    ),
    "deadline_reminder": gettext_noop("Reminder: the deadline of notice %(number)s is %(date)s."),
    "withdrawn": gettext_noop("Withdrawn by the consumer."),
    "withdrawn_for_erasure": gettext_noop(
        "Withdrawn because the consumer asked for their personal data to be erased."
    ),
    "status_link_reissued": gettext_noop(
        "A new status link was issued; earlier links no longer work."
    ),
    "contact_viewed": gettext_noop("Contact details viewed."),
    "classified": gettext_noop(
        "Classified automatically as %(labels)s (confidence %(confidence).2f)."
    ),
    "rejected": gettext_noop("Reason: %(reject_reason)s."),
    "recurrence": gettext_noop("Recurrence: complaint %(number)s."),
    "recurrence_alert": gettext_noop(
        "%(app)s: the problem came back (complaint %(number)s); case %(reference)s reopened."
    ),
    "trigger_alert": gettext_noop(
        "%(count)s accepted complaints about %(app)s in “%(category)s” within %(days)s days."
    ),
    "case_closed": gettext_noop("The rectification case %(reference)s was closed."),
    "deadline_passed": gettext_noop("The deadline %(date)s passed without a rectification report."),
    "overdue_alert": gettext_noop("%(reference)s (%(app)s) is overdue: the deadline was %(date)s."),
    "notice_read": gettext_noop("Notice %(number)s read by the operator."),
    "not_our_app": gettext_noop("%(company)s says complaint %(number)s is not about its app."),
    "consumer_accepted": gettext_noop("The consumer accepted the operator's answer."),
    "dispute_alert": gettext_noop("The consumer disputes the operator's answer to %(number)s."),
    "relabel_unbacked": gettext_noop(
        "Labelled %(labels)s although the text does not back it (no keyword, little weight "
        "from the classifier); the regulator confirmed it with the reason below."
    ),
    "two_factor_enrolled": gettext_noop(
        "Two-factor log-in set up for %(account)s: an authenticator app and new recovery codes."
    ),
    "recovery_codes_renewed": gettext_noop(
        "New recovery codes made for %(account)s; the earlier ones no longer work."
    ),
    "recovery_code_used": gettext_noop(
        "%(account)s logged in with a recovery code; %(left)s left."
    ),
    "two_factor_reset": gettext_noop(
        "Two-factor log-in of %(account)s reset: its authenticator app and recovery codes were "
        "removed, and a new app must be set up at the next log-in."
    ),
    "authenticator_removed": gettext_noop("The authenticator app of %(account)s was removed."),
    "recovery_codes_removed": gettext_noop("The recovery codes of %(account)s were removed."),
    "audit_chain_resealed": gettext_noop(
        "The audit log's head (position %(position)s) was sealed again under a new key."
    ),
    "inspection_requested": gettext_noop(
        "Inspection requested: the operator of %(app)s is asked for the app's package (APK)."
    ),
    "package_submitted": gettext_noop(
        "The operator submitted the app's package (APK) for inspection with its report."
    ),
    "package_sent_on_request": gettext_noop(
        "The operator sent the app's package (APK) the regulator asked for."
    ),
    "package_uploaded": gettext_noop("App package uploaded for inspection."),
    "sdk_attributed": gettext_noop("Attributed to the embedded SDK %(sdk)s (%(vendor)s)."),
    "sdk_attribution_cleared": gettext_noop("Attributed to the host app again, not to an SDK."),
    "collective_case": gettext_noop(
        "Your complaint is one of %(count)s alike about %(app)s; regulators took them up "
        "together in case %(reference)s."
    ),
    "auto_closed": gettext_noop(
        "No reply from the consumer within %(days)s days of the operator's answer."
    ),
}

# Parameters holding codes that are named in the reader's language.
CATEGORY_PARAMS = frozenset({"labels", "category"})
REJECT_REASON_PARAMS = frozenset({"reject_reason"})


def message(message_id: str, **params) -> dict:
    """A message for Event.message; raises KeyError on an unknown id (a typo is a bug)."""
    MESSAGES[message_id]  # noqa: B018 — the check
    return {"id": message_id, "params": params}


_names: tuple[float, dict[str, tuple[str, str]]] = (0.0, {})


def _category_names() -> dict[str, tuple[str, str]]:
    """code: (English, Chinese), read at most once a minute (admins may rename)."""
    global _names
    loaded_at, names = _names
    if time.monotonic() - loaded_at > 60 or not names:
        names = {
            code: (en, zh)
            for code, en, zh in Category.objects.values_list("code", "name_en", "name_zh")
        }
        _names = (time.monotonic(), names)
    return names


def category_name(code: str) -> str:
    names = _category_names().get(code)
    if names is None:
        return code
    return names[0] if (get_language() or "").startswith("en") else names[1]


def _param_text(name: str, value):
    if name in CATEGORY_PARAMS:
        codes = value if isinstance(value, list) else [value]
        return gettext(", ").join(category_name(str(code)) for code in codes)
    if name in REJECT_REASON_PARAMS and value in Complaint.RejectReason.values:
        return str(Complaint.RejectReason(value).label)
    return value


def message_text(stored: dict) -> str:
    """The message in the active language; "" for none or an id this version does not know."""
    template = MESSAGES.get((stored or {}).get("id"))
    if template is None:
        return ""
    params = {name: _param_text(name, value) for name, value in stored.get("params", {}).items()}
    try:
        return gettext(template) % params
    except (KeyError, TypeError, ValueError):
        # A row older than its sentence's parameters: better the English than nothing.
        return template


# --- reading old rows back (migration 0018) ------------------------------------------------


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(%\(\w+\)(?:s|\.2f))", template)
    regex = ""
    for part in parts:
        found = re.fullmatch(r"%\((\w+)\)(s|\.2f)", part)
        if found is None:
            regex += re.escape(part)
        elif found.group(2) == "s":
            regex += f"(?P<{found.group(1)}>.+?)"
        else:
            regex += f"(?P<{found.group(1)}>-?[0-9]+(?:\\.[0-9]+)?)"
    return re.compile(regex, re.DOTALL)


def message_parse(text: str, templates: dict[str, str], categories: dict[str, str]) -> dict | None:
    """The message a stored sentence was made from: `templates` maps ids to the sentence in the
    language it was written in, `categories` category names (either language) and codes to codes.
    None when no sentence matches the whole text (then it stays as it is)."""
    for message_id, template in templates.items():
        found = _pattern(template).fullmatch(text.strip())
        if found is None:
            continue
        params: dict = {}
        for name, value in found.groupdict().items():
            if name == "labels":
                parts = [p.strip() for p in re.split(r"[,，、]\s*", value)]
                if not all(p in categories for p in parts):
                    break
                params[name] = [categories[p] for p in parts]
            elif name == "category":
                if value not in categories:
                    break
                params[name] = categories[value]
            elif name == "reject_reason":
                params[name] = value
            elif name == "confidence":
                params[name] = float(value)
            else:
                params[name] = value
        else:
            return {"id": message_id, "params": params}
    return None
