"""Create N synthetic complaints fast (COPY on PostgreSQL) for load tests and benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError

from benchmarks.generation import complaints_generate


class Command(BaseCommand):
    help = "Insert N realistic synthetic complaints spread over the last year (no events, no classification)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--batch-size", type=int, default=20_000)

    def handle(self, *args, count: int, seed: int, days: int, batch_size: int, **options):
        if count < 1:
            raise CommandError("count must be at least 1")
        started = time.perf_counter()
        try:
            written = complaints_generate(count=count, seed=seed, days=days, batch_size=batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{written} complaints in {seconds:.1f} s ({written / seconds:,.0f} rows/s)"
        )
