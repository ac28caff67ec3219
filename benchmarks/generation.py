"""Synthetic complaints in bulk, for load tests and benchmarks (`generate_complaints N`).

Not a domain service: it writes statuses without their events and suspends constraints, so
it lives with the benchmarks, outside complaints/services (the only write path).

Rows are written straight into the tables (COPY on PostgreSQL, bulk_create elsewhere): no
events, no classification, no notifications. Texts come from the team-written corpus, so
the data looks like real filings; everything else is drawn with a fixed seed.
"""

import datetime
import hashlib
import json
import random
import secrets
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from complaints import privacy, workflow
from complaints.models import App, Category, Complaint

S = Complaint.Status
# Status mix of a mature platform by a complaint's age: the last week is a working backlog,
# the last month mostly decided and waiting for operators, anything older mostly over.
_STATUSES = list(S)  # submitted, classified, needs_review, info_requested, accepted, rejected,
# duplicate, linked, answered, disputed, closed, withdrawn
_STATUS_WEIGHTS_BY_AGE = [
    # (younger than this many days, weights in _STATUSES order)
    (7, [3, 20, 15, 6, 25, 8, 3, 5, 6, 1, 5, 3]),
    (30, [0.2, 2, 2, 2, 25, 12, 4, 15, 15, 3, 17, 3]),
    (None, [0, 0.3, 0.3, 0.2, 12, 11, 4, 12, 6, 2, 49, 3]),
]
# A regulator decided these (their decision time is set); the final ones have a closing time.
_DECIDED = {*workflow.DECISIONS, *workflow.CONFIRMED}
_FINAL = set(workflow.COMPLAINT_ENDED)


# Benchmark fixtures write events in bulk SQL, around the audit log: they give them chain
# positions but no hashes (`manage.py audit_verify` names the first such row as broken).
FIXTURE_CHAIN_COLUMNS = (
    "message, chain_seq, prev_hash, row_hash, personal_salt, reason_digest, actor_digest"
)


def fixture_chain(table: str) -> str:
    """The SELECT side of FIXTURE_CHAIN_COLUMNS for an INSERT … SELECT into `table`."""
    return (
        f"'{{}}'::jsonb, (SELECT coalesce(max(chain_seq), 0) FROM {table}) + row_number() OVER (), "
        "'', '', '', '', ''"
    )


# Loads at least this large (and at least as large as the table) rebuild indexes afterwards.
REBUILD_MIN_ROWS = 100_000


def _corpus() -> list[tuple[str, str, list[str], str]]:
    """(text, masked text or None when it holds no personal data, labels, language) for every
    corpus line."""
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
                    (text, privacy.masked_copy(text), list(item.get("labels") or ["other"]), lang)
                )
    if not rows:
        text = "这个应用不给通讯录权限就不能用。"
        rows.append((text, None, ["over_permission"], "zh-hans"))
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
    batch_tag = (
        hashlib.sha256(f"{seed}-{timezone.now().isoformat()}".encode()).hexdigest()[:4].upper()
    )
    now = timezone.now()
    # Nobody holds a token for a generated complaint: they share the hash of a discarded secret.
    token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()

    # A large load into PostgreSQL rebuilds the secondary indexes once at the end instead of
    # maintaining them row by row (PostgreSQL's own advice for populating a database).
    rebuild = connection.vendor == "postgresql" and count >= max(
        REBUILD_MIN_ROWS, Complaint.objects.count()
    )
    if connection.vendor == "postgresql":
        with transaction.atomic(), _indexes_suspended(rebuild):
            written = _generate_in_database(
                count=count,
                corpus=corpus,
                categories=categories,
                apps=apps,
                weights=weights,
                token_hash=token_hash,
                batch_tag=batch_tag,
                days=days,
                fields=[f for f in Complaint._meta.concrete_fields if not f.primary_key],
                seed=seed,
                batch=batch_size * 10,
                now=now,
            )
        return written
    with transaction.atomic():
        written = _generate_batches(
            count=count,
            token_hash=token_hash,
            batch_size=batch_size,
            rng=rng,
            corpus=corpus,
            categories=categories,
            apps=apps,
            weights=weights,
            batch_tag=batch_tag,
            now=now,
            days=days,
        )
    return written


def _status_weights(age_days: float) -> list[float]:
    return next(w for younger, w in _STATUS_WEIGHTS_BY_AGE if younger is None or age_days < younger)


def _weighted_array(values: list, weights: list[float], size: int = 1000) -> list:
    """Values repeated in proportion to their weights: a uniform pick from it is a weighted pick.
    A value of weight 0 never comes up; any other at least once."""
    total = sum(weights)
    out = []
    for value, weight in zip(values, weights, strict=True):
        if weight > 0:
            out.extend([value] * max(1, round(size * weight / total)))
    return out


def _generate_in_database(
    *,
    count,
    corpus,
    categories,
    apps,
    weights,
    token_hash,
    batch_tag,
    days,
    fields,
    seed,
    batch,
    now,
) -> int:
    """PostgreSQL draws the rows itself (generate_series, random()): nothing crosses the wire
    per row. Each batch is one statement, so the draws never leave memory: a CTE feeds both the
    complaint rows and their categories."""
    table = Complaint._meta.db_table
    through = Complaint.categories.through._meta.db_table
    statuses = [str(s) for s in _STATUSES]
    money_codes = {"fraud", "unauthorized_charges", "price_discrimination"}
    # Weighted picks are uniform picks from integer arrays (fixed width, so PostgreSQL indexes
    # them directly); the status's own facts are looked up by the same index.
    expressions = {
        "id": "x.id",
        "tracking_number": "'AW-' || to_char(x.submitted_at, 'YYMMDD') || %(tag)s || lpad(x.g::text, 7, '0')",
        # Nobody holds a token for a generated complaint: one hash of a discarded secret.
        "access_token_hash": "%(token_hash)s",
        "app_id": "a.id",
        "app_name": "a.name",
        "description": "c.body",
        "description_masked": "c.masked",
        "occurred_date": "x.submitted_at::date - floor(x.r1 * 10)::int",
        "amount": "CASE WHEN c.money THEN (ARRAY[9, 19, 30, 68, 128, 299, 520, 1500, 8800])[1 + floor(x.r2 * 9)::int] END",
        "label_source": "'model'",
        "confidence": "round((0.3 + x.r3 * 0.69) * 1000) / 1000",
        "classification_attempts": "1",
        "classified_at": "x.submitted_at + interval '5 seconds'",
        "channel": "(ARRAY['web', 'web', 'web', 'api', 'hotline', 'import'])[1 + floor(x.r1 * 6)::int]",
        "language": "c.lang",
        "status": "(%(statuses)s::text[])[x.si]",
        "priority": "floor(x.r2 * 100)::int",
        "consent_share_with_operator": "x.r1 < 0.8",
        "consent_publish": "x.r2 < 0.5",
        "submitted_at": "x.submitted_at",
        "updated_at": "x.submitted_at",
        "decided_at": "CASE WHEN (%(decided)s::boolean[])[x.si] THEN x.submitted_at + (2 + x.r3 * 198) * interval '1 hour' END",
        "closed_at": "CASE WHEN (%(final)s::boolean[])[x.si] THEN x.submitted_at + (1 + x.r3 * 30) * interval '1 day' END",
        "decision_due_date": "x.submitted_at::date + 9",
        "source": "'generated'",
    }
    params = {
        "tag": f"-G{batch_tag}",
        "token_hash": token_hash,
        "statuses": statuses,
        "decided": [status in _DECIDED for status in statuses],
        "final": [status in _FINAL for status in statuses],
        "ncorpus": len(corpus),
        "app_picks": _weighted_array(list(range(1, len(apps) + 1)), weights),
        "days": days,
        "count": count,
        # The application's clock, not the database server's: tests run at a fixed date.
        "now": now,
    }
    params["napps"] = len(params["app_picks"])
    # The status is a weighted pick from its age tier's array: a CASE over the tiers.
    tiers = []
    for index, (younger_than, tier_weights) in enumerate(_STATUS_WEIGHTS_BY_AGE):
        params[f"status_picks_{index}"] = _weighted_array(
            list(range(1, len(statuses) + 1)), tier_weights
        )
        pick = (
            f"(%(status_picks_{index})s::int[])"
            f"[1 + floor(random() * {len(params[f'status_picks_{index}'])})::int]"
        )
        tiers.append(f"WHEN d.age < {younger_than} THEN {pick}" if younger_than else f"ELSE {pick}")
    status_pick = "CASE " + " ".join(tiers) + " END"
    columns, selects = ["id"], [expressions["id"]]
    for field in fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            selects.append(expressions[field.attname])
        else:
            name = f"default_{field.attname}"
            params[name] = _adapt(field.get_default())
            selects.append(f"%({name})s")
    with connection.cursor() as cursor:
        # Enough memory for a batch's draws (about 100 bytes a row) to stay off the disk.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        params["sequence"] = cursor.fetchone()[0]
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000.0])
        cursor.execute(
            "CREATE TEMP TABLE aw_gen_corpus (idx int PRIMARY KEY, body text, masked text, "
            "lang text, money boolean, labels int[]) ON COMMIT DROP"
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
            "CREATE TEMP TABLE aw_gen_app (idx int PRIMARY KEY, id bigint, name text) ON COMMIT DROP"
        )
        cursor.executemany(
            "INSERT INTO aw_gen_app VALUES (%s, %s, %s)",
            [(i, pk, name) for i, (pk, name, _operator) in enumerate(apps, start=1)],
        )
        for first in range(1, count + 1, batch):
            last = min(first + batch - 1, count)
            # Filing times rise with g, so ids and dates grow together as on a live platform;
            # 1 - u is uniform, so the ages follow the same curve as random draws would.
            cursor.execute(
                f"""
                WITH x AS MATERIALIZED (
                    SELECT nextval(%(sequence)s::regclass) AS id, g,
                           1 + floor(random() * %(ncorpus)s)::int AS ci,
                           (%(app_picks)s::int[])[1 + floor(random() * %(napps)s)::int] AS ai,
                           {status_pick} AS si,
                           %(now)s::timestamptz - d.age * interval '1 day' AS submitted_at,
                           random() AS r1, random() AS r2, random() AS r3
                    FROM (
                        SELECT g, power(1 - (g - random()) / %(count)s, 1.2) * %(days)s AS age
                        FROM generate_series(%(first)s, %(last)s) AS g
                    ) AS d
                ), complaint_rows AS (
                    INSERT INTO {table} ({", ".join(columns)})
                    SELECT {", ".join(selects)}
                    FROM x JOIN aw_gen_corpus c ON c.idx = x.ci JOIN aw_gen_app a ON a.idx = x.ai
                )
                INSERT INTO {through} (complaint_id, category_id)
                SELECT x.id, unnest(c.labels) FROM x JOIN aw_gen_corpus c ON c.idx = x.ci
                """,  # noqa: S608 — table and column names come from the models
                {**params, "first": first, "last": last},
            )
        cursor.execute("DROP TABLE aw_gen_corpus, aw_gen_app")
    return count


@contextmanager
def _indexes_suspended(active: bool):
    """Drop the complaint tables' full secondary indexes, unique and foreign-key constraints, and
    put them back when the block ends: one index build and one validating join each, instead of
    per-row upkeep and per-row deferred trigger checks. Partial indexes stay: they hold few
    rows, so keeping them up costs less than a rebuild's pass over the whole table. Runs inside
    the caller's transaction, so other sessions never see the tables without them."""
    if not active:
        yield
        return
    tables = [Complaint._meta.db_table, Complaint.categories.through._meta.db_table]
    with connection.cursor() as cursor:
        # Checks still pending from earlier in the caller's transaction run first: PostgreSQL
        # alters no table that has pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
                   CASE WHEN c.contype = 'f' THEN ARRAY(
                       SELECT a.attname::text FROM pg_attribute a
                       WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                   ) ELSE '{}' END
            FROM pg_constraint c WHERE c.contype IN ('u', 'f') AND c.conrelid::regclass::text = ANY(%s)
            ORDER BY c.contype DESC
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        foreign_keys: dict[str, set[str]] = {}
        for table, _name, _definition, columns in constraints:
            foreign_keys.setdefault(table, set()).update(columns)
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
              AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition, _columns in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        # Statistics on the foreign keys let each check below plan for what the load wrote: a
        # key it left empty is checked through that key's small partial index instead of a pass
        # over the whole table.
        for table, columns in foreign_keys.items():
            if columns:
                quoted = ", ".join(connection.ops.quote_name(column) for column in sorted(columns))
                cursor.execute(f"ANALYZE {table} ({quoted})")
        for table, name, definition, _columns in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        # Django's foreign keys are INITIALLY DEFERRED: so they are again for the rest of the
        # caller's transaction.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _generate_batches(
    *,
    count,
    batch_size,
    rng,
    corpus,
    categories,
    apps,
    weights,
    batch_tag,
    token_hash,
    now,
    days,
) -> int:
    written = 0
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        rows, labels = [], []
        app_picks = rng.choices(apps, weights=weights, k=size)
        for i in range(size):
            n = start + i
            text, masked, codes, lang = corpus[rng.randrange(len(corpus))]
            app_id, app_name, _operator = app_picks[i]
            # Rising with n, as in the PostgreSQL path: ids and filing dates grow together.
            age = (1 - (n + 1 - rng.random()) / count) ** 1.2 * days
            submitted_at = now - datetime.timedelta(seconds=int(86400 * age))
            status = rng.choices(_STATUSES, weights=_status_weights(age))[0]
            decided_at = (
                submitted_at + datetime.timedelta(hours=rng.randint(2, 200))
                if status in _DECIDED
                else None
            )
            confidence = round(rng.uniform(0.3, 0.99), 3)
            money = bool({"fraud", "unauthorized_charges", "price_discrimination"} & set(codes))
            values = {
                "tracking_number": _tracking_number(batch_tag, n + 1, submitted_at),
                "access_token_hash": token_hash,
                "app_id": app_id,
                "app_name": app_name,
                "description": text,
                "description_masked": masked,
                "occurred_date": (submitted_at - datetime.timedelta(days=rng.randint(0, 9))).date(),
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
        written += _write_batch(rows, labels)
    return written


@transaction.atomic
def _write_batch(rows: list[dict], labels: list[list[int]]) -> int:
    through = Complaint.categories.through
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
