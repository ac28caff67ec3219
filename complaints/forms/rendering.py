"""The consumer forms' renderer: the markup of Django's form templates for the widgets, labels
and error lists our forms use, written out in Python, so a field costs a few string joins and
not four to twenty nested template renders (the web form's pages were mostly that: RESULTS.md,
"The web form's cost"). Same output byte for byte (tests/complaints/forms/test_rendering.py
renders every step form both ways); any other template goes to Django's renderer unchanged.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html


def _attrs(attrs: dict | None) -> str:
    """name="value" for each attribute; True as a bare name, False left out."""
    out = []
    for name, value in (attrs or {}).items():
        if value is True:
            out.append(" " + conditional_escape(name))
        elif value is not False:
            out.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: dict) -> str:
    # Django wraps every choice in its label; the option templates end in line breaks of
    # their own (input, then the option).
    target = option["attrs"].get("id")
    label_for = f' for="{conditional_escape(target)}"' if target else ""
    return f"<label{label_for}>{_input(option)}\n {conditional_escape(option['label'])}</label>\n\n"


def _choices(widget: dict) -> str:
    """Radio buttons and check boxes: each option in its own div, groups in theirs."""
    target, css = widget["attrs"].get("id"), widget["attrs"].get("class")
    out = ["<div"]
    if target:
        out.append(f' id="{conditional_escape(target)}"')
    if css:
        out.append(f' class="{conditional_escape(css)}"')
    out.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            out.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        out.extend(f"<div>\n    {_option(option)}</div>" for option in options)
        if group:
            out.append("\n  </div>")
    out.append("\n</div>")
    return "".join(out)


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _label(context: dict) -> str:
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _errors(context: dict) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    named = f' id="{conditional_escape(field_id)}_error"' if field_id else ""
    items = "".join(format_html("<li>{}</li>", error) for error in errors)
    return f'<ul class="{conditional_escape(context["error_class"])}"{named}>{items}</ul>'


WIDGETS = "django/forms/widgets/"
WRITTEN_OUT = {
    **{
        f"{WIDGETS}{name}.html": lambda context: _input(context["widget"])
        for name in ("input", "text", "email", "date", "number", "checkbox", "file")
    },
    f"{WIDGETS}textarea.html": lambda context: _textarea(context["widget"]),
    f"{WIDGETS}radio.html": lambda context: _choices(context["widget"]),
    f"{WIDGETS}checkbox_select.html": lambda context: _choices(context["widget"]),
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
}


class ConsumerFormRenderer(DjangoTemplates):
    """Django's template renderer, but for the templates written out above."""

    def render(self, template_name, context, request=None):
        write = WRITTEN_OUT.get(template_name)
        if write is None:
            return super().render(template_name, context, request=request)
        # As the templates' output, without the whitespace around it.
        return write(context).strip()
