"""Rectification cases for regulators: the list with alerts, opening a case, the case page and
its actions (assign, note, notice, verification, escalation, closing), and the printable notice."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..errors import DomainError
from ..models import App, Case, Category, Complaint, Notice
from ..selectors import cases as sel
from ..services import cases as case_services
from ..services.cases import notice_default_deadline
from ..workflow import case_can_move
from .triage import regulator_required

K = Case.Status
CASE_PAGE_SIZE = 50


def _first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return _("Invalid input.")


class CaseOpenForm(forms.Form):
    app = forms.ModelChoiceField(queryset=App.objects.all(), label=gettext_lazy("App"))
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        label=gettext_lazy("Categories"),
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Problems found"), required=False, widget=forms.Textarea
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of notices"),
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    complaints = forms.CharField(
        label=gettext_lazy("Complaints to link (tracking numbers)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].error_messages["required"] = _("Choose the app.")
        self.fields["categories"].error_messages["required"] = _("Choose at least one category.")

    def complaint_list(self) -> list[Complaint]:
        numbers = [
            n for n in self.cleaned_data.get("complaints", "").replace(",", " ").split() if n
        ]
        found = list(Complaint.objects.filter(tracking_number__in=numbers))
        missing = set(numbers) - {c.tracking_number for c in found}
        if missing:
            raise DomainError(
                _("No complaint with tracking number “%(number)s”.")
                % {"number": sorted(missing)[0]},
                field="complaints",
            )
        return found


class NoticeForm(forms.Form):
    problems = forms.CharField(label=gettext_lazy("Problems found"), widget=forms.Textarea)
    deadline_date = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problems"].error_messages["required"] = _("Describe the problems found.")
        self.fields["deadline_date"].error_messages["invalid"] = _(
            "Enter the deadline as a date (YYYY-MM-DD)."
        )


class VerifyForm(forms.Form):
    rectified = forms.TypedChoiceField(
        choices=[("yes", gettext_lazy("rectified")), ("no", gettext_lazy("not rectified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(widget=forms.Textarea)
    new_deadline_date = forms.DateField(required=False)
    escalate_measure = forms.ChoiceField(
        choices=[("", "—"), *Case.Escalation.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rectified"].error_messages["required"] = _(
            "Say whether the case is rectified."
        )
        self.fields["notes"].error_messages["required"] = _("Write the verification notes.")
        self.fields["escalate_measure"].error_messages["invalid_choice"] = _(
            "Choose an escalation measure."
        )


@regulator_required
@require_GET
def case_list(request):
    filters = sel.CaseFilters.from_query(request.GET)
    paginator = Paginator(sel.case_list(filters, user=request.user), CASE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/cases/list.html",
        {
            "filters": filters,
            "page": page,
            "today": timezone.localdate(),
            "statuses": K.choices,
            "categories": Category.objects.filter(is_active=True),
            "alerts": sel.recent_alerts(),
        },
    )


@regulator_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    if request.method == "POST":
        form = CaseOpenForm(request.POST)
        if form.is_valid():
            try:
                case = case_services.case_open(
                    app=form.cleaned_data["app"],
                    categories=list(form.cleaned_data["categories"]),
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    language=form.cleaned_data["language"],
                    complaints=form.complaint_list(),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Case %(reference)s opened.") % {"reference": case.reference}
                )
                return redirect("cases:detail", pk=case.pk)
        status = 400
    else:
        initial = {"language": "zh-hans"}
        app = request.GET.get("app", "")
        if app.isdigit():
            initial["app"] = int(app)
        complaint_id = request.GET.get("complaint", "")
        if complaint_id.isdigit():
            complaint = (
                Complaint.objects.filter(pk=int(complaint_id))
                .prefetch_related("categories")
                .first()
            )
            if complaint is not None:
                initial["complaints"] = complaint.tracking_number
                initial["categories"] = [c.code for c in complaint.categories.all()]
        form = CaseOpenForm(initial=initial)
        status = 200
    return render(request, "complaints/cases/new.html", {"form": form}, status=status)


def _load(pk: int) -> Case:
    try:
        return sel.case_for_regulator(pk)
    except Case.DoesNotExist:
        raise Http404 from None


def _detail_context(case: Case) -> dict:
    today = timezone.localdate()
    categories = list(case.categories.all())
    return {
        "case": case,
        "today": today,
        "categories": categories,
        **sel.case_detail(case),
        "regulators": sel.regulators(),
        "escalations": Case.Escalation.choices,
        "default_deadline": notice_default_deadline(categories=categories, issued_date=today),
        "can": {
            "notice": case_can_move(case.status, K.NOTICE_ISSUED),
            "verify": case_can_move(case.status, K.RECTIFIED)
            or case_can_move(case.status, K.NOT_RECTIFIED),
            "escalate": case_can_move(case.status, K.ESCALATED),
            "close": case_can_move(case.status, K.CLOSED),
        },
    }


@regulator_required
@require_GET
def case_detail(request, pk: int):
    return render(request, "complaints/cases/detail.html", _detail_context(_load(pk)))


def _failed(request, case: Case, message: str):
    context = _detail_context(_load(case.pk))
    context["error"] = message
    return render(request, "complaints/cases/detail.html", context, status=400)


@regulator_required
@require_POST
def case_action(request, pk: int, name: str):
    case = _load(pk)
    user = request.user
    try:
        if name == "assign":
            assignee_id = request.POST.get("assignee", "")
            assignee = None
            if assignee_id:
                from django.contrib.auth import get_user_model

                assignee = (
                    get_user_model()
                    .objects.filter(pk=assignee_id if assignee_id.isdigit() else 0)
                    .first()
                )
                if assignee is None:
                    return _failed(request, case, _("Choose a regulator."))
            case_services.case_assign(case=case, assignee=assignee, actor=user)
            message = _("Assignment saved.")
        elif name == "note":
            case_services.case_note_add(case=case, actor=user, text=request.POST.get("text", ""))
            message = _("Note added.")
        elif name == "notice":
            form = NoticeForm(request.POST)
            if not form.is_valid():
                return _failed(request, case, _first_error(form))
            notice = case_services.notice_issue(
                case=case,
                actor=user,
                problems=form.cleaned_data["problems"],
                deadline_date=form.cleaned_data["deadline_date"],
                legal_basis=form.cleaned_data["legal_basis"] or None,
            )
            message = _("Notice %(number)s issued; the operator has been told.") % {
                "number": notice.number
            }
        elif name == "verify":
            form = VerifyForm(request.POST)
            if not form.is_valid():
                return _failed(request, case, _first_error(form))
            case_services.rectification_verify(
                case=case,
                actor=user,
                rectified=form.cleaned_data["rectified"],
                notes=form.cleaned_data["notes"],
                new_deadline_date=form.cleaned_data["new_deadline_date"],
                escalate_measure=form.cleaned_data["escalate_measure"],
                files=request.FILES.getlist("files"),
            )
            message = _("Verification recorded.")
        elif name == "escalate":
            case_services.case_escalate(
                case=case,
                actor=user,
                measure=request.POST.get("measure", ""),
                reason=request.POST.get("reason", ""),
            )
            message = _("Escalation recorded.")
        elif name == "close":
            case_services.case_close(case=case, actor=user, reason=request.POST.get("reason", ""))
            message = _("Case closed.")
        else:
            raise Http404
    except DomainError as error:
        return _failed(request, case, error.message)
    messages.success(request, message)
    return redirect("cases:detail", pk=case.pk)


@regulator_required
@require_GET
def notice_document(request, pk: int, notice_pk: int):
    notice = get_object_or_404(
        Notice.objects.select_related("case__app__operator", "issued_by"), pk=notice_pk, case_id=pk
    )
    return render(request, "complaints/cases/notice.html", {"notice": notice, "case": notice.case})
