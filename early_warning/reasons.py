"""Why an alert or a cluster fired, as a message id and parameters stored on the row and put
into words when read, in the reader's language (zh-Hans or English), as the audit log does."""

from django.utils.translation import gettext, gettext_noop

from complaints.models.event_messages import category_name

MESSAGES: dict[str, str] = {
    "cluster": gettext_noop(
        "%(count)s complaints about %(app)s in “%(category)s” whose texts are alike "
        "(similarity at least %(similarity)s of 100), each within %(days)s days of the last."
    ),
    "cluster_sdk": gettext_noop(
        "%(count)s complaints in “%(category)s” about %(apps)s apps of %(companies)s companies "
        "whose inspections all found the SDK %(sdk)s (made by %(vendor)s), with texts alike "
        "(similarity at least %(similarity)s of 100), each within %(days)s days of the last: "
        "one behaviour across companies points at the SDK they embed."
    ),
    "spike_app": gettext_noop(
        "%(observed)s complaints about %(app)s on %(date)s, against %(expected)s a day on "
        "average over the previous %(days)s days. Were nothing new happening, a day this high "
        "would come by chance with probability %(chance)s (Poisson test; alerts fire below "
        "%(alpha)s)."
    ),
    "spike_category": gettext_noop(
        "%(observed)s complaints in “%(category)s” on %(date)s, not counting apps with an "
        "alert of their own, against %(expected)s a day on average over the previous "
        "%(days)s days. Were nothing new happening, a day this high would come by chance with "
        "probability %(chance)s (Poisson test; alerts fire below %(alpha)s)."
    ),
    "new_vocabulary": gettext_noop(
        "%(count)s complaints filed as “other” in the %(recent_days)s days to %(date)s share "
        "words seldom seen in the %(baseline_days)s days before: %(words)s. This may be a new "
        "kind of problem."
    ),
    "boilerplate": gettext_noop(
        "%(company)s: %(rate)s of its %(replies)s replies in the last %(days)s days repeat the "
        "same text, or nearly (rule: at most %(limit)s)."
    ),
    "zero_reply": gettext_noop(
        "%(company)s: %(rate)s of the %(due)s complaints past the %(reply_days)s-day answer "
        "clock had no reply (rule: at most %(limit)s)."
    ),
    "hollow_close": gettext_noop(
        "%(company)s: %(count)s answers in the last %(days)s days closed without substance: "
        "“not our app” for an app it operates, or “fixed” that the consumer disputes "
        "(rule: at most %(limit)s)."
    ),
}


def reason(message_id: str, **params) -> dict:
    """A reason to store; raises KeyError on an unknown id (a typo is a bug)."""
    MESSAGES[message_id]  # noqa: B018 — the check
    return {"id": message_id, "params": params}


def reason_text(stored: dict) -> str:
    """The reason in the active language; "" for an id this version does not know."""
    template = MESSAGES.get((stored or {}).get("id"))
    if template is None:
        return ""
    params = dict(stored.get("params", {}))
    if "category" in params:
        params["category"] = category_name(str(params["category"]))
    if "sdk" in params:
        from .sdk_scope import sdk_facts  # the catalogue, read when a reason names an SDK

        facts = sdk_facts(str(params["sdk"]))
        params["sdk"], params["vendor"] = facts["name"], facts["vendor"] or "?"
    try:
        return gettext(template) % params
    except (KeyError, TypeError, ValueError):
        return template
