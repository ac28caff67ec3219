"""Inspection panels on pages of complaints (the case page, the operator's case page, a
complaint's triage page, the printable notice, the regulator dashboard) and the public
scorecard. Templates of complaints load them; the Python dependency stays
inspections → complaints."""

from django import template
from django.urls import reverse

from complaints import workflow

from .. import selectors

register = template.Library()


@register.inclusion_tag("inspections/_case_panel.html", takes_context=True)
def case_inspection(context, case):
    return {
        **selectors.case_panel(case.app),
        "case": case,
        "request_pending": selectors.case_request_pending(case),
        "versions": selectors.case_versions(case),
        "sdk_choices": selectors.sdk_choices(case.app),
        "attribution": getattr(case, "sdk_attribution", None),
        "attribution_url": reverse("inspections:case_attribution", args=[case.pk]),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("inspections/_verification_diff.html")
def verification_diff(case):
    return {"comparison": selectors.verification_comparison(case)}


@register.inclusion_tag("inspections/_operator_package.html", takes_context=True)
def operator_package(context, case):
    return {
        "case": case,
        "request_pending": selectors.case_request_pending(case),
        "packages": selectors.operator_packages(case),
        "can_submit": workflow.can_submit_package(case),
        "with_report": workflow.package_goes_with_report(case),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("inspections/_complaint_panel.html", takes_context=True)
def complaint_inspection(context, complaint):
    app = complaint.app
    return {
        "complaint": complaint,
        "version_inspection": selectors.version_inspection(complaint.app_id, complaint.app_version),
        "sdk_choices": selectors.sdk_choices(app) if app is not None else [],
        "attribution": getattr(complaint, "sdk_attribution", None),
        "attribution_url": reverse("inspections:complaint_attribution", args=[complaint.pk]),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("inspections/_notice_evidence.html")
def notice_evidence(notice, for_operator=False):
    return {
        "inspections": selectors.notice_inspections(notice),
        "case": notice.case,
        "for_operator": for_operator,
    }


@register.inclusion_tag("inspections/_dashboard.html")
def inspection_dashboard():
    return {
        "requests": list(selectors.inspection_requests_pending()[:20]),
        "ranking": selectors.sdk_ranking(),
    }


@register.inclusion_tag("inspections/_scorecard.html")
def app_inspection_summary(app):
    return selectors.scorecard_summary(app)
