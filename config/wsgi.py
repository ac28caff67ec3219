import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load at start what the first request would otherwise load on its path: the URL
    configuration (every view module, the API, the schema views) and its reverse tables, the translations of each
    language, and the broker transport a filing publishes with. A new worker then answers its
    first filing as fast as its hundredth (benchmarks/filing_cost.py measures it)."""
    from django.conf import settings
    from django.urls import get_resolver, reverse
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 — resolving the patterns imports the views
    reverse("track_detail", args=["AW-000000-000000"])  # builds the reverse look-up tables
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Describe what happened.")
    if os.environ.get("CELERY_BROKER_URL"):
        from celery import current_app

        current_app.connection_for_write().transport  # noqa: B018 — imports, does not connect


_warm_up()
