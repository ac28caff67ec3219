"""Run early warning's daily job for a day or a range of past days (beat runs it daily for
yesterday): after installing, to look back; `--dry-run` to see what would fire (the
false-alarm figure on the demo year) without keeping anything."""

import datetime
import json
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from complaints.models import App, Category
from early_warning.daily import early_warning_run


class _RolledBack(Exception):
    pass


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


def _subject(alert) -> str:
    if alert.app_id:
        return "app"
    return "company" if alert.company_id else "category"


class Command(BaseCommand):
    help = "Run the early-warning job for yesterday, a given day or a range of days."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=_date, help="one day (default: yesterday)")
        parser.add_argument("--from", dest="first", type=_date, help="first day of a range")
        parser.add_argument("--to", dest="last", type=_date, help="last day of a range")
        parser.add_argument("--dry-run", action="store_true", help="report, keep nothing")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="one JSON object on stdout"
        )

    def handle(self, *args, day, first, last, dry_run, as_json, **options):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        if day and (first or last):
            raise CommandError("Give --day or --from/--to, not both.")
        first = first or day or yesterday
        last = last or day or yesterday
        if last < first:
            raise CommandError("--to is before --from.")
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        kinds: Counter = Counter()
        try:
            with transaction.atomic():
                for one in days:
                    for alert in early_warning_run(day=one):
                        kinds[
                            f"{alert.kind}:{'app' if alert.app_id else 'category' if alert.category_id else 'company'}"
                        ] += 1
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            pass
        series_days = (App.objects.count() + Category.objects.count()) * len(days)
        spikes = sum(n for kind, n in kinds.items() if kind.startswith("spike:"))
        report = {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "days": len(days),
            "alerts": dict(sorted(kinds.items())),
            "series_days": series_days,
            "spike_alerts_per_1000_series_days": round(1000 * spikes / series_days, 3)
            if series_days
            else None,
            "kept": not dry_run,
        }
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            for key, value in report.items():
                self.stdout.write(f"{key}: {value}")
