"""Statements the hot paths run with every request (a filing's rows, the app it names), made
once per process and prepared once per connection on PostgreSQL.

Django's cursors quote every value into fresh SQL text in Python (client-side binding), which
PostgreSQL parses and plans again each time. `prepared_cursor` gives instead Django's cursor
wrapper (execute wrappers, errors turned into django.db's) around psycopg's server-binding
cursor asking for each statement to be prepared: psycopg keeps the prepared names per
connection (up to `prepared_max`), and the values travel as parameters of a statement
PostgreSQL has already parsed and planned. DB_PREPARED_STATEMENTS=false (settings: a
connection pooler in transaction mode that cannot hold prepared statements) keeps the
server-side binding without preparing.
"""

import functools

from django.db.backends.base.base import BaseDatabaseWrapper


@functools.cache
def _preparing_cursor_class() -> type:
    """psycopg's server-binding cursor as Django makes it, asking for every statement to be
    prepared."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


def prepared_cursor(connection: BaseDatabaseWrapper):
    """A cursor for a statement run on every request: on PostgreSQL, Django's wrapper around a
    preparing server-binding cursor. Where queries are logged (DEBUG, a test capturing them),
    and on other databases, Django's own cursor: psycopg does not keep the text of a prepared
    statement's execution, and the log is there to show the statement with its values.

    The four calls are those Django's own cursor() makes before wrapping its cursor (the
    health check, the connection, the thread check, the wrapper): the public way to put a
    cursor class of our own under Django's wrapper."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        return connection.make_cursor(_preparing_cursor_class()(connection.connection))
