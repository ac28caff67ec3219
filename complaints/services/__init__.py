"""Writes. Every change to the domain goes through a function here: keyword-only, atomic, and
recording its Event in the same transaction.

Modules by job: `events` (the audit log and status moves), `intake` (filing one complaint),
`bulk_intake` (importing files, with `copy_writer` for PostgreSQL COPY), `triage` (regulator
decisions), `supervision` (recurrence and trigger rules after an acceptance), `cases`
(rectification cases and notices), `operators` (operator answers), `consumers`,
`contact_details` (regulators reading them, each reading logged), `evidence`,
`classification`, `statistics`, `notifications`, `accounts`, `preferences`; `guards` holds the
shared permission and input checks, `enqueue` hands work to Celery by task name. Privacy lives
beside them in complaints.privacy. Nothing here imports complaints.tasks.
"""
