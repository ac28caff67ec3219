"""{% case_inspection case %}: the app's latest package inspection and the upload form, on the
case page (a template of complaints; the Python dependency stays inspections → complaints)."""

from django import template

from ..selectors import case_panel, scorecard_summary

register = template.Library()


@register.inclusion_tag("inspections/_case_panel.html", takes_context=True)
def case_inspection(context, case):
    return {**case_panel(case.app), "case": case, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("inspections/_scorecard.html")
def app_inspection_summary(app):
    return scorecard_summary(app)
