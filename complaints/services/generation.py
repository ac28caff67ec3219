"""Synthetic complaints in bulk, for load tests and benchmarks (`generate_complaints N`).

Rows are written straight into the tables (COPY on PostgreSQL, bulk_create elsewhere): no
events, no classification, no notifications. Texts come from the team-written corpus, so
the data looks like real filings; everything else is drawn with a fixed seed.
"""

import datetime
import hashlib
import io
import json
import random
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from .. import privacy
from ..models import App, Category, Complaint

# Status mix of a mature platform: most complaints decided, a working backlog.
_STATUS_WEIGHTS = [
    (Complaint.Status.SUBMITTED, 1),
    (Complaint.Status.CLASSIFIED, 6),
    (Complaint.Status.NEEDS_REVIEW, 5),
    (Complaint.Status.INFO_REQUESTED, 2),
    (Complaint.Status.ACCEPTED, 22),
    (Complaint.Status.REJECTED, 10),
    (Complaint.Status.DUPLICATE, 4),
    (Complaint.Status.LINKED, 12),
    (Complaint.Status.ANSWERED, 8),
    (Complaint.Status.DISPUTED, 2),
    (Complaint.Status.CLOSED, 25),
    (Complaint.Status.WITHDRAWN, 3),
]
_DECIDED = {
    Complaint.Status.ACCEPTED,
    Complaint.Status.REJECTED,
    Complaint.Status.DUPLICATE,
    Complaint.Status.LINKED,
    Complaint.Status.ANSWERED,
    Complaint.Status.DISPUTED,
    Complaint.Status.CLOSED,
}
_FINAL = {Complaint.Status.CLOSED, Complaint.Status.WITHDRAWN}


def _corpus() -> list[tuple[str, str, list[str], str]]:
    """(text, masked text, labels, language) for every corpus line."""
    rows = []
    for path in sorted((Path(settings.BASE_DIR) / "classifier" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            text = item.get("text")
            if isinstance(text, str) and text:
                lang = "en" if item.get("lang") == "en" else "zh-hans"
                rows.append(
                    (text, privacy.mask_text(text), list(item.get("labels") or ["other"]), lang)
                )
    if not rows:
        text = "这个应用不给通讯录权限就不能用。"
        rows.append((text, text, ["over_permission"], "zh-hans"))
    return rows


def _tracking_number(batch_tag: str, n: int, submitted_at: datetime.datetime) -> str:
    # "G" marks generated rows; the counter keeps them unique within a run, the tag across runs.
    return f"AW-{submitted_at:%y%m%d}-G{batch_tag}{n:07d}"[:24]


def complaints_generate(
    *, count: int, seed: int = 1, days: int = 365, batch_size: int = 20_000
) -> int:
    """Insert `count` synthetic complaints spread over the last `days` days. Returns the count."""
    apps = list(App.objects.values_list("id", "name", "operator_id"))
    if not apps:
        raise ValueError("No apps in the registry: run `manage.py demo_data` first.")
    rng = random.Random(seed)
    corpus = _corpus()
    categories = dict(Category.objects.values_list("code", "id"))
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(apps))]
    statuses, status_weights = zip(*_STATUS_WEIGHTS, strict=True)
    batch_tag = (
        hashlib.sha256(f"{seed}-{timezone.now().isoformat()}".encode()).hexdigest()[:4].upper()
    )
    now = timezone.now()

    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    written = 0
    # A large load into PostgreSQL rebuilds the secondary indexes once at the end instead of
    # maintaining them row by row (PostgreSQL's own advice for populating a database).
    rebuild = connection.vendor == "postgresql" and count >= max(100_000, Complaint.objects.count())
    if connection.vendor == "postgresql":
        with transaction.atomic(), _indexes_suspended(rebuild):
            for start in range(0, count, batch_size * 10):
                written += _generate_in_database(
                    count=min(batch_size * 10, count - start),
                    offset=start,
                    seed=seed + start,
                    corpus=corpus,
                    categories=categories,
                    apps=apps,
                    weights=weights,
                    batch_tag=batch_tag,
                    days=days,
                    fields=fields,
                )
        return written
    with transaction.atomic():
        written = _generate_batches(
            count=count,
            batch_size=batch_size,
            rng=rng,
            corpus=corpus,
            categories=categories,
            apps=apps,
            weights=weights,
            statuses=statuses,
            status_weights=status_weights,
            batch_tag=batch_tag,
            now=now,
            days=days,
            fields=fields,
        )
    return written


def _weighted_array(values: list, weights: list[float], size: int = 1000) -> list:
    """Values repeated in proportion to their weights: a uniform pick from it is a weighted pick."""
    total = sum(weights)
    out = []
    for value, weight in zip(values, weights, strict=True):
        out.extend([value] * max(1, round(size * weight / total)))
    return out


def _generate_in_database(
    *, count, offset, seed, corpus, categories, apps, weights, batch_tag, days, fields
) -> int:
    """PostgreSQL draws the rows itself (generate_series, random()): nothing crosses the wire
    per row, which is what makes a million rows take seconds."""
    table = Complaint._meta.db_table
    through = Complaint.categories.through._meta.db_table
    app_ids = _weighted_array([a[0] for a in apps], weights)
    app_names = {a[0]: a[1] for a in apps}
    status_values = _weighted_array(
        [s for s, _ in _STATUS_WEIGHTS], [w for _, w in _STATUS_WEIGHTS], 200
    )
    decided = [str(s) for s in _DECIDED]
    final = [str(s) for s in _FINAL]
    money_codes = {"fraud", "unauthorized_charges", "price_discrimination"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000.0])
        cursor.execute(
            "CREATE TEMP TABLE aw_gen_corpus (idx int PRIMARY KEY, body text, masked text, lang text, "
            "money boolean, labels int[]) ON COMMIT DROP"
        )
        cursor.executemany(
            "INSERT INTO aw_gen_corpus VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    i,
                    text,
                    masked,
                    lang,
                    bool(money_codes & set(codes)),
                    [categories[c] for c in codes if c in categories],
                )
                for i, (text, masked, codes, lang) in enumerate(corpus, start=1)
            ],
        )
        cursor.execute(
            "CREATE TEMP TABLE aw_gen_app (id bigint PRIMARY KEY, name text) ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO aw_gen_app VALUES (%s, %s)", list(app_names.items()))
        cursor.execute(
            f"""
            CREATE TEMP TABLE aw_gen ON COMMIT DROP AS
            SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id, g,
                   1 + floor(random() * %(ncorpus)s)::int AS ci,
                   (%(apps)s::bigint[])[1 + floor(random() * %(napps)s)::int] AS app_id,
                   (%(statuses)s::text[])[1 + floor(random() * %(nstatuses)s)::int] AS status,
                   now() - power(random(), 1.2) * %(days)s * interval '1 day' AS submitted_at,
                   random() AS r1, random() AS r2, random() AS r3
            FROM generate_series(%(first)s, %(last)s) AS g
            """,
            {
                "ncorpus": len(corpus),
                "apps": app_ids,
                "napps": len(app_ids),
                "statuses": status_values,
                "nstatuses": len(status_values),
                "days": days,
                "first": offset + 1,
                "last": offset + count,
            },
        )
        expressions = {
            "id": "x.id",
            "tracking_number": f"'AW-' || to_char(x.submitted_at, 'YYMMDD') || '-G{batch_tag}' || lpad(x.g::text, 7, '0')",
            "access_token_hash": f"md5('{batch_tag}' || x.g) || md5(x.g || '{batch_tag}')",
            "app_id": "x.app_id",
            "app_name": "a.name",
            "description": "c.body",
            "description_masked": "c.masked",
            "occurred_date": "(x.submitted_at - floor(x.r1 * 10) * interval '1 day')::date",
            "amount": "CASE WHEN c.money THEN (ARRAY[9, 19, 30, 68, 128, 299, 520, 1500, 8800])[1 + floor(x.r2 * 9)::int] END",
            "label_source": "'model'",
            "confidence": "round((0.3 + x.r3 * 0.69)::numeric, 3)",
            "classification_attempts": "1",
            "classified_at": "x.submitted_at + interval '5 seconds'",
            "channel": "(ARRAY['web', 'web', 'web', 'api', 'hotline', 'import'])[1 + floor(x.r1 * 6)::int]",
            "language": "c.lang",
            "status": "x.status",
            "priority": "floor(x.r2 * 100)::int",
            "consent_share_with_operator": "x.r1 < 0.8",
            "consent_publish": "x.r2 < 0.5",
            "submitted_at": "x.submitted_at",
            "updated_at": "x.submitted_at",
            "decided_at": f"CASE WHEN x.status = ANY(ARRAY{decided!r}) THEN x.submitted_at + (2 + x.r3 * 198) * interval '1 hour' END",
            "closed_at": f"CASE WHEN x.status = ANY(ARRAY{final!r}) THEN x.submitted_at + (1 + x.r3 * 30) * interval '1 day' END",
            "decision_due_date": "(x.submitted_at + interval '9 days')::date",
            "source": "'generated'",
        }
        columns, selects, params = ["id"], [expressions["id"]], []
        for field in fields:
            columns.append(connection.ops.quote_name(field.column))
            if field.attname in expressions:
                selects.append(expressions[field.attname])
            else:
                selects.append("%s")
                params.append(_adapt(field.get_default()))
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
            "FROM aw_gen x JOIN aw_gen_corpus c ON c.idx = x.ci JOIN aw_gen_app a ON a.id = x.app_id",
            params,
        )
        cursor.execute(
            f"INSERT INTO {through} (complaint_id, category_id) "
            "SELECT x.id, unnest(c.labels) FROM aw_gen x JOIN aw_gen_corpus c ON c.idx = x.ci"
        )
        cursor.execute("DROP TABLE aw_gen, aw_gen_corpus, aw_gen_app")
    return count


@contextmanager
def _indexes_suspended(active: bool):
    """Drop the complaint tables' secondary indexes, unique and foreign-key constraints, and put
    them back when the block ends: one index build and one validating join each, instead of
    per-row upkeep and per-row deferred trigger checks. Runs inside the caller's transaction, so
    other sessions never see the tables without them."""
    if not active:
        yield
        return
    tables = [Complaint._meta.db_table, Complaint.categories.through._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c WHERE c.contype IN ('u', 'f') AND c.conrelid::regclass::text = ANY(%s)
            ORDER BY c.contype DESC
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # Any other deferred checks run now: PostgreSQL builds no index over pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _generate_batches(
    *,
    count,
    batch_size,
    rng,
    corpus,
    categories,
    apps,
    weights,
    statuses,
    status_weights,
    batch_tag,
    now,
    days,
    fields,
) -> int:
    written = 0
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        rows, labels = [], []
        app_picks = rng.choices(apps, weights=weights, k=size)
        status_picks = rng.choices(statuses, weights=status_weights, k=size)
        for i in range(size):
            n = start + i
            text, masked, codes, lang = corpus[rng.randrange(len(corpus))]
            app_id, app_name, _operator = app_picks[i]
            status = status_picks[i]
            submitted_at = now - datetime.timedelta(seconds=int(days * 86400 * rng.random() ** 1.2))
            decided_at = (
                submitted_at + datetime.timedelta(hours=rng.randint(2, 200))
                if status in _DECIDED
                else None
            )
            confidence = round(rng.uniform(0.3, 0.99), 3)
            money = bool({"fraud", "unauthorized_charges", "price_discrimination"} & set(codes))
            values = {
                "tracking_number": _tracking_number(batch_tag, n, submitted_at),
                "access_token_hash": hashlib.sha256(f"{batch_tag}{n}".encode()).hexdigest(),
                "app_id": app_id,
                "app_name": app_name,
                "description": text,
                "description_masked": masked,
                "occurred_date": (
                    submitted_at - datetime.timedelta(days=rng.randint(0, 10))
                ).date(),
                "amount": Decimal(rng.choice([9, 19, 30, 68, 128, 299, 520, 1500, 8800]))
                if money
                else None,
                "label_source": Complaint.LabelSource.MODEL,
                "confidence": confidence,
                "classification_attempts": 1,
                "classified_at": submitted_at + datetime.timedelta(seconds=rng.randint(1, 30)),
                "channel": rng.choice(("web", "web", "web", "api", "hotline", "import")),
                "language": lang,
                "status": status,
                "priority": rng.randint(0, 100),
                "consent_share_with_operator": rng.random() < 0.8,
                "consent_publish": rng.random() < 0.5,
                "submitted_at": submitted_at,
                "updated_at": decided_at or submitted_at,
                "decided_at": decided_at,
                "closed_at": (decided_at or submitted_at)
                + datetime.timedelta(days=rng.randint(1, 30))
                if status in _FINAL
                else None,
                "decision_due_date": (submitted_at + datetime.timedelta(days=9)).date(),
                "source": "generated",
            }
            rows.append(values)
            labels.append([categories[c] for c in codes if c in categories])
        written += _write_batch(fields, rows, labels)
    return written


def _row_builder(fields: list[models.Field]):
    """A function turning a values dict into a tuple in column order; defaults computed once."""
    defaults = [_adapt(field.get_default()) for field in fields]
    names = [field.attname for field in fields]

    def build(values: dict) -> list:
        row = list(defaults)
        for index, name in enumerate(names):
            if name in values:
                row[index] = values[name]
        return row

    return build


@transaction.atomic
def _write_batch(fields: list[models.Field], rows: list[dict], labels: list[list[int]]) -> int:
    table = Complaint._meta.db_table
    through = Complaint.categories.through
    if connection.vendor == "postgresql":
        column_names = ["id", *(f.column for f in fields)]
        columns = ", ".join(connection.ops.quote_name(name) for name in column_names)
        build = _row_builder(fields)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # Ids come from the table's own sequence, so the rows need no look-up afterwards.
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            ids = [row[0] for row in raw.fetchall()]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for pk, values in zip(ids, rows, strict=True):
                    copy.write_row([pk, *build(values)])
            buffer = io.StringIO()
            for pk, label_ids in zip(ids, labels, strict=True):
                for category_id in label_ids:
                    buffer.write(f"{pk}\t{category_id}\n")
            buffer.seek(0)
            with raw.copy(
                f"COPY {through._meta.db_table} (complaint_id, category_id) FROM STDIN"
            ) as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
    else:
        objects = Complaint.objects.bulk_create(
            [Complaint(**values) for values in rows], batch_size=2000
        )
        through.objects.bulk_create(
            [
                through(complaint_id=obj.pk, category_id=cid)
                for obj, ids in zip(objects, labels, strict=True)
                for cid in ids
            ],
            batch_size=5000,
        )
    return len(rows)


def _adapt(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
