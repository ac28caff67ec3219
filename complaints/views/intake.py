"""Filing a complaint on the web: six short steps kept in the session, then one call to
complaint_submit. Plain forms, no JavaScript needed. With JavaScript, the one-page form
(`file_one_page`) walks the same steps in the browser and files with one API request.

Every step stores the raw form data; the review step binds all of them again, so what is
submitted is exactly what was checked, even if the consumer went back and changed a step.
"""

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ..errors import DomainError
from ..forms.details import DETAILS_FORMS
from ..forms.intake import AppStepForm, ContactStepForm, EvidenceStepForm, WhatStepForm
from ..models import App, Category, Complaint
from ..selectors import intake
from ..selectors.stats.shared import PUBLIC
from ..services import evidence as evidence_service
from ..services.intake import complaint_submit
from ..throttling import AnonymousSubmitThrottle, EvidenceUploadThrottle, refused
from . import shared_pages as shared
from .tracking import grant_access

SESSION_KEY = "filing"
FILED_KEY = "filed_tokens"


@dataclass(frozen=True)
class Step:
    name: str
    title: str


STEPS = (
    Step("app", gettext_lazy("Which app?")),
    Step("what", gettext_lazy("What happened?")),
    Step("details", gettext_lazy("Details")),
    Step("evidence", gettext_lazy("Evidence")),
    Step("contact", gettext_lazy("Contact and consent")),
    Step("review", gettext_lazy("Check and send")),
)
STEP_NAMES = [step.name for step in STEPS]
# Where a service error on submit sends the consumer back to.
FIELD_STEPS = {
    "app_name": "app",
    "description": "what",
    "amount": "details",
    "evidence": "evidence",
    "contact_phone": "contact",
    "contact_email": "contact",
}


# --- the draft in the session ---------------------------------------------------------------------


def _draft(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY) or {}


def _save_draft(request: HttpRequest, draft: dict, *, changed: bool = True) -> None:
    if changed:
        # New content needs a new key; the review page issues it.
        draft.pop("idempotency_key", None)
    request.session[SESSION_KEY] = draft
    request.session.modified = True


def _raw(data) -> dict:
    """A QueryDict as plain JSON-safe lists, without the CSRF token and buttons."""
    return {key: data.getlist(key) for key in data if key not in ("csrfmiddlewaretoken", "action")}


def _bound(form_class, raw: dict | None, **kwargs):
    if raw is None:
        return None
    data = QueryDict(mutable=True)
    for key, values in raw.items():
        data.setlist(key, values)
    return form_class(data=data, **kwargs)


def _kind(draft: dict) -> Category | None:
    what = _bound(WhatStepForm, draft.get("what"))
    return what.cleaned_data.get("kind") if what is not None and what.is_valid() else None


def _steps_for(kind: Category | None) -> list[Step]:
    """The steps a draft of this category goes through (a request looks the category up once,
    `_kind`, not in every helper: each look-up binds and checks the "what" step again)."""
    return [
        step for step in STEPS if step.name != "details" or (kind and kind.code in DETAILS_FORMS)
    ]


def _first_missing(
    draft: dict, before: str, kind: Category | None, forms: dict | None = None
) -> str | None:
    """The first earlier step with no valid data, so nobody can skip ahead. `forms`: the
    steps' bound forms when the caller has them already (the review binds them all once)."""
    for step in _steps_for(kind):
        if step.name == before:
            return None
        if step.name == "evidence":
            if "evidence" not in draft:
                return step.name
            continue
        form = (
            forms[step.name]
            if forms is not None
            else _step_form(draft, step.name, bind=True, kind=kind)
        )
        if form is None or not form.is_valid():
            return step.name
    return None


def _step_form(draft: dict, name: str, bind: bool, data=None, files=None, matches=(), kind=None):
    raw = draft.get(name) if bind else None
    if name == "app":
        selected = _selected_app(draft)
        if selected and not any(m.app.pk == selected.pk for m in matches):
            matches = [
                intake.AppMatch(app=selected, score=100, matched=selected.name),
                *matches,
            ]
        if data is not None:
            return AppStepForm(data=data, matches=matches)
        return (
            _bound(AppStepForm, raw, matches=matches)
            if raw is not None
            else AppStepForm(matches=matches)
        )
    if name == "what":
        return (
            WhatStepForm(data=data)
            if data is not None
            else (_bound(WhatStepForm, raw) if raw is not None else WhatStepForm())
        )
    if name == "details":
        kind = kind or _kind(draft)
        form_class = DETAILS_FORMS.get(kind.code) if kind else None
        if form_class is None:
            return None
        return (
            form_class(data=data)
            if data is not None
            else (_bound(form_class, raw) if raw is not None else form_class())
        )
    if name == "evidence":
        drafts = draft.get("evidence", [])
        return (
            EvidenceStepForm(data=data, files=files, drafts=drafts)
            if data is not None
            else EvidenceStepForm(drafts=drafts)
        )
    if name == "contact":
        return (
            ContactStepForm(data=data)
            if data is not None
            else (_bound(ContactStepForm, raw) if raw is not None else ContactStepForm())
        )
    return None


def _selected_app(draft: dict) -> App | None:
    app_ids = (draft.get("app") or {}).get("app") or []
    if app_ids and app_ids[0].isdigit():
        return App.objects.filter(pk=int(app_ids[0])).first()
    return None


def _next_step(steps: list[Step], name: str) -> str:
    names = [step.name for step in steps]
    return names[names.index(name) + 1] if name in names else names[0]


def _previous_step(steps: list[Step], name: str) -> str | None:
    names = [step.name for step in steps]
    index = names.index(name) if name in names else 0
    return names[index - 1] if index > 0 else None


def _render(
    request, draft: dict, step_name: str, context: dict, steps: list[Step], status: int = 200
) -> HttpResponse:
    names = [step.name for step in steps]
    previous = _previous_step(steps, step_name)
    context.update(
        {
            "steps": steps,
            "step_name": step_name,
            "step_number": names.index(step_name) + 1,
            "step_count": len(steps),
            "step_title": steps[names.index(step_name)].title,
            "previous_url": reverse("file_step", args=[previous]) if previous else None,
        }
    )
    return render(request, f"complaints/file/{step_name}.html", context, status=status)


# --- views --------------------------------------------------------------------------------------


@require_GET
def file_start(request: HttpRequest) -> HttpResponse:
    if request.GET.get("new") == "1":
        evidence_service.evidence_drafts_discard(drafts=_draft(request).get("evidence", []))
        request.session.pop(SESSION_KEY, None)
    return redirect("file_step", step="app")


@require_http_methods(["GET", "POST"])
def file_step(request: HttpRequest, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        raise Http404
    draft = _draft(request)
    kind = _kind(draft)
    steps = _steps_for(kind)
    if step not in [s.name for s in steps]:
        return redirect("file_step", step=_next_step(steps, "what") if step == "details" else "app")
    # The review checks every step and then uses the same bound forms: bound once.
    forms = _forms_of(draft, kind) if step == "review" else None
    missing = _first_missing(draft, step, kind, forms)
    if missing:
        return redirect("file_step", step=missing)
    if step == "review":
        return _review(request, draft, forms, steps)
    if step == "app":
        return _app_step(request, draft, steps)
    if step == "evidence":
        return _evidence_step(request, draft, steps)

    if request.method == "POST":
        form = _step_form(draft, step, bind=False, data=request.POST, kind=kind)
        if form.is_valid():
            draft[step] = _raw(request.POST)
            _save_draft(request, draft)
            if step == "what":  # the new category decides whether details come next
                steps = _steps_for(form.cleaned_data.get("kind"))
            return redirect("file_step", step=_next_step(steps, step))
        return _render(request, draft, step, {"form": form}, steps)
    form = _step_form(draft, step, bind=True, kind=kind)
    return _render(request, draft, step, {"form": form}, steps)


def _app_step(request: HttpRequest, draft: dict, steps: list[Step]) -> HttpResponse:
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q", "")) or ""
    query = query.strip()[:100]
    matches = intake.app_search(query) if query else intake.apps_named_most_offered()
    if request.method == "POST":
        form = _step_form(draft, "app", bind=False, data=request.POST, matches=matches)
        if form.is_valid():
            raw = _raw(request.POST)
            if form.cleaned_data.get("app"):
                # A chosen app wins over a typed name; the store and version still help.
                raw["app_name"] = [""]
            draft["app"] = raw
            _save_draft(request, draft)
            return redirect("file_step", step="what")
    else:
        form = _step_form(draft, "app", bind=True, matches=matches)
    return _render(
        request,
        draft,
        "app",
        {"form": form, "query": query, "matches": matches, "searched": bool(query)},
        steps,
    )


def _evidence_step(request: HttpRequest, draft: dict, steps: list[Step]) -> HttpResponse:
    drafts = draft.get("evidence", [])
    if request.method == "POST":
        if request.FILES and (answer := refused(request, EvidenceUploadThrottle)):
            return answer
        form = _step_form(draft, "evidence", bind=False, data=request.POST, files=request.FILES)
        if form.is_valid():
            removed = [d for d in drafts if d["key"] in form.cleaned_data["remove"]]
            evidence_service.evidence_drafts_discard(drafts=removed)
            kept = [d for d in drafts if d not in removed]
            kept += [
                evidence_service.evidence_draft_save(clean=clean)
                for clean in form.cleaned_data["files"] or []
            ]
            draft["evidence"] = kept
            _save_draft(request, draft)
            if request.POST.get("action") == "upload":
                messages.success(request, _("Files saved. Add more or continue."))
                return redirect("file_step", step="evidence")
            return redirect("file_step", step=_next_step(steps, "evidence"))
    else:
        form = _step_form(draft, "evidence", bind=False)
    return _render(request, draft, "evidence", {"form": form, "drafts": drafts}, steps)


def _forms_of(draft: dict, kind: Category | None) -> dict:
    return {
        name: _step_form(draft, name, bind=True, kind=kind)
        for name in ("app", "what", "details", "contact")
    }


def _review(request: HttpRequest, draft: dict, forms: dict, steps: list[Step]) -> HttpResponse:
    for form in forms.values():
        if form is not None:
            form.is_valid()
    app_data, what, contact = (
        forms["app"].cleaned_data,
        forms["what"].cleaned_data,
        forms["contact"].cleaned_data,
    )
    details_form = forms["details"]
    kind = what.get("kind")
    if request.method == "POST":
        return refused(request, AnonymousSubmitThrottle) or _submit(request, draft, forms)
    # Issued when the review is shown, so two quick submits of this page share it; a reload
    # keeps it (the session is written only when it is new).
    if "idempotency_key" not in draft:
        draft["idempotency_key"] = "web-" + secrets.token_urlsafe(24)
        _save_draft(request, draft, changed=False)
    hints = intake.duplicate_hints(
        app=app_data.get("app"),
        app_name=app_data.get("app_name", ""),
        category=kind,
        description=what.get("description", ""),
        user=request.user,
        tracking_numbers=request.session.get("tracked_complaints", []),
    )
    return _render(
        request,
        draft,
        "review",
        {
            "app": app_data.get("app"),
            "app_data": app_data,
            "what": what,
            "kind": kind,
            "details_form": details_form,
            "contact": contact,
            "drafts": draft.get("evidence", []),
            "hints": hints,
        },
        steps,
    )


def _submit(request: HttpRequest, draft: dict, forms: dict) -> HttpResponse:
    app_data, what, contact = (
        forms["app"].cleaned_data,
        forms["what"].cleaned_data,
        forms["contact"].cleaned_data,
    )
    details_form = forms["details"]
    files = [evidence_service.evidence_draft_load(draft=item) for item in draft.get("evidence", [])]
    if any(item is None for item in files):
        draft["evidence"] = [
            item for item, clean in zip(draft.get("evidence", []), files, strict=True) if clean
        ]
        _save_draft(request, draft)
        messages.error(request, _("A file you attached was lost. Please attach it again."))
        return redirect("file_step", step="evidence")
    # One key per reviewed draft: a double click or a resent form files one complaint, not two.
    draft.setdefault("idempotency_key", "web-" + secrets.token_urlsafe(24))
    try:
        complaint, token = complaint_submit(
            description=what["description"],
            app=app_data.get("app"),
            app_name=app_data.get("app_name", ""),
            app_version=app_data.get("app_version", ""),
            app_store=app_data.get("app_store", ""),
            occurred_date=(details_form.occurred_date() if details_form else None)
            or what.get("occurred_date"),
            amount=details_form.amount() if details_form else None,
            category_hint=what.get("kind"),
            details=details_form.details() if details_form else {},
            channel=Complaint.Channel.WEB,
            language=request.LANGUAGE_CODE,
            consent_share_with_operator=contact.get("consent_share_with_operator", False),
            consent_publish=contact.get("consent_publish", False),
            submitter=request.user,
            contact_name=contact.get("contact_name", ""),
            contact_phone=contact.get("contact_phone", ""),
            contact_email=contact.get("contact_email", ""),
            idempotency_key=draft["idempotency_key"],
            evidence=files,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("file_step", step=FIELD_STEPS.get(error.field or "", "review"))
    evidence_service.evidence_drafts_discard(drafts=draft.get("evidence", []))
    request.session.pop(SESSION_KEY, None)
    grant_access(request, complaint)
    filed = request.session.get(FILED_KEY, {})
    # The token is shown on the next page, and again if the consumer reloads it.
    filed = {
        complaint.tracking_number: token,
        **{k: v for k, v in filed.items() if k != complaint.tracking_number},
    }
    request.session[FILED_KEY] = dict(list(filed.items())[:5])
    return redirect("file_done", tracking_number=complaint.tracking_number)


@require_GET
def file_done(request: HttpRequest, tracking_number: str) -> HttpResponse:
    token = request.session.get(FILED_KEY, {}).get(tracking_number)
    if token is None:
        raise Http404
    status_path = reverse("track_detail", args=[tracking_number]) + f"?t={token}"
    return render(
        request,
        "complaints/file/done.html",
        {
            "tracking_number": tracking_number,
            "token": token,
            "status_url": request.build_absolute_uri(status_path),
        },
    )


# --- the one-page form --------------------------------------------------------------------------


# What the one-page form is rendered from; a digest of it is in the form's shared keys.
ONE_PAGE, ONE_PAGE_SECTIONS = "complaints/file/one_page.html", "complaints/file/_one_page.html"
ONE_PAGE_TEMPLATES = ("base.html", ONE_PAGE, ONE_PAGE_SECTIONS, "complaints/file/_fields.html")


@require_GET
def file_one_page(request: HttpRequest) -> HttpResponse:
    """Every step as a section of one page, walked in the browser (static/js/filing.js), which
    files with one request to the filing API. The sections are the same for every visitor in a
    language, so they are rendered once a period and shared; so is the whole page for anonymous
    visitors (most filings) but their CSRF token and address. Signed-in visitors get their own."""
    version = (shared.templates_version(*ONE_PAGE_TEMPLATES),)

    def context() -> dict:
        sections = shared.shared_fragment(
            PUBLIC, "filing-form", version, ONE_PAGE_SECTIONS, _one_page_context
        )
        return {"content": sections.value}

    if shared.shares_anonymous_page(request):
        return shared.shared_anonymous_page(request, "filing-form", version, ONE_PAGE, context)
    return render(request, ONE_PAGE, context())


def _one_page_context() -> dict:
    app_form = AppStepForm()
    # No list of matches to choose from: the consumer gives the name, offered the registry's
    # apps as they type (filing.js, public-app-search) and the apps named most before.
    app_form.fields["app_name"].required = True
    app_form.fields["app_name"].widget.attrs.update(list="app-suggestions", autocomplete="off")
    return {
        "steps": STEPS,
        "app_form": app_form,
        "apps_named_most": [intake.app_offered(app) for app in intake.apps_named_most()],
        "what_form": WhatStepForm(),
        # A prefix each: two kinds may name a field alike, and one page holds them all.
        "details_forms": [
            (code, form_class(prefix=f"details-{code}"))
            for code, form_class in DETAILS_FORMS.items()
        ],
        "evidence_form": EvidenceStepForm(),
        "contact_form": ContactStepForm(),
        "strings": {
            "progress": _("Step {n} of {count}"),
            "sending": _("Sending…"),
            "offline": _(
                "Your complaint could not be sent: the connection failed. Nothing you typed is "
                "lost. Check your connection and try again."
            ),
            "server": _(
                "Something went wrong on our side and your complaint was not filed. Nothing you "
                "typed is lost: try again in a moment."
            ),
            "unknown": _("Please check your answers."),
            "conflict": _(
                "This complaint was most likely received already, with other answers, before "
                "the connection failed. If you gave an e-mail address, its receipt is on the "
                "way. To send it again as it is now, send it as a new complaint."
            ),
            "none": _("None"),
            "none_given": _("None given"),
            "not_sure": _("Not sure"),
            "due": _(
                "What happens next: by {date} a regulator decides whether to take your "
                "complaint up. The status link shows every step, and any question we have for "
                "you."
            ),
        },
    }
