"""Writes. Every change to the domain goes through a function here: keyword-only, atomic, and
recording its Event in the same transaction.

Modules by job: `events` (the audit log and status moves), `intake` (filing), `triage`
(regulator decisions), `cases` (rectification cases and notices), `operators` (operator
answers), `privacy` lives beside them in complaints.privacy.
"""
