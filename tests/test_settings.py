"""Settings come from the environment: nothing set is the embedded default."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER,"
    " 'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, 'secret': settings.SECRET_KEY,"
    " 'beat': sorted(settings.CELERY_BEAT_SCHEDULE)}))"
)


def _settings_with(env: dict[str, str], tmp_path) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY")
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings", "APPWATCH_VAR_DIR": str(tmp_path), **env}
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_nothing_set_gives_sqlite_and_eager_tasks(tmp_path):
    conf = _settings_with({}, tmp_path)
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["name"].startswith(str(tmp_path))
    assert conf["eager"] is True and conf["broker"] == "memory://"
    assert conf["debug"] is False
    # The generated key is kept, so sessions survive restarts.
    assert conf["secret"] == _settings_with({}, tmp_path)["secret"]
    assert "classify-sweep" in conf["beat"]


def test_database_and_broker_urls_switch_to_the_real_services(tmp_path):
    conf = _settings_with(
        {
            "DATABASE_URL": "postgres://aw@db.example:5432/appwatch",
            "CELERY_BROKER_URL": "redis://cache.example:6379/0",
            "SECRET_KEY": "from-the-environment",
            "DEBUG": "true",
        },
        tmp_path,
    )
    assert conf["engine"] == "django.db.backends.postgresql"
    assert conf["name"] == "appwatch"
    assert conf["eager"] is False and conf["broker"] == "redis://cache.example:6379/0"
    assert conf["secret"] == "from-the-environment"
    assert conf["debug"] is True
