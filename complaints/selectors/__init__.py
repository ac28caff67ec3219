"""Reads. Pages, API views and commands get what they show from a function here; none of
them writes.

Modules by audience: `intake` (filing: app search, duplicate hints), `consumers` (tracking and
a consumer's own complaints), `triage` (the regulator's queue and a complaint's detail), `cases`
(rectification cases), `operators` (the operator portal and dashboard), and `stats` (figures
and tables from the statistics summary).
"""
