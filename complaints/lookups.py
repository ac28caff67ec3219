"""Finding a case or complaints by the reference a person typed into a form or an API body.

One lookup each, raising the domain NotFound with the message every screen shows; the web
views show it beside the form, the API as an error on the field that named the reference.
"""

from django.utils.translation import gettext as _

from .errors import DomainError, NotFound
from .models import Case, Complaint

# Ids are 64-bit signed integers (bigint in PostgreSQL, INTEGER in SQLite): a larger number
# would overflow the database driver rather than match nothing.
ID_MAX = 2**63 - 1


def flag_in_query(value: str | None) -> bool:
    """A yes/no filter: "1" from the web forms, "true" from the API."""
    return (value or "").strip().lower() in ("1", "true")


def id_in_query(value: str, *, field: str) -> int | None:
    """The id a query-string filter names. None when it is empty or not written in ASCII digits
    (the filter is then ignored, like any malformed value); DomainError for a number that no row
    can have."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    if number > ID_MAX:
        raise DomainError(_("Give an id between 1 and %(max)s.") % {"max": ID_MAX}, field=field)
    return number


def case_by_reference(reference: str, *, field: str | None = None) -> Case:
    """The case with this reference, ignoring case and surrounding spaces."""
    reference = reference.strip()
    case = Case.objects.filter(reference__iexact=reference).first()
    if case is None:
        raise NotFound(
            _("No case with reference “%(reference)s”.") % {"reference": reference}, field=field
        )
    return case


def complaint_by_tracking_number(number: str, *, field: str | None = None) -> Complaint:
    """The complaint with this tracking number, ignoring case and surrounding spaces."""
    number = number.strip()
    complaint = Complaint.objects.filter(tracking_number__iexact=number).first()
    if complaint is None:
        raise NotFound(_complaint_missing(number), field=field)
    return complaint


def complaints_by_tracking_numbers(
    numbers: list[str], *, field: str | None = None
) -> list[Complaint]:
    """Every complaint named, in one query; NotFound names the first missing number."""
    found = list(Complaint.objects.filter(tracking_number__in=numbers))
    missing = sorted(set(numbers) - {c.tracking_number for c in found})
    if missing:
        raise NotFound(_complaint_missing(missing[0]), field=field)
    return found


def _complaint_missing(number: str) -> str:
    return _("No complaint with tracking number “%(number)s”.") % {"number": number}
