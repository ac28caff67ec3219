"""Settings come from the environment: nothing set is the embedded default."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER,"
    " 'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, 'secret': settings.SECRET_KEY,"
    " 'beat': sorted(settings.CELERY_BEAT_SCHEDULE), 'site_url': settings.SITE_URL,"
    " 'prepare': settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold')}))"
)


def _settings_with(env: dict[str, str], tmp_path) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "SITE_URL", "PORT")
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


def test_postgresql_prepares_a_filings_statements_unless_a_pooler_forbids_it(tmp_path):
    url = {"DATABASE_URL": "postgres://aw@db.example:5432/appwatch"}
    # Prepared only where complaints.prepared asks (prepare=True), never by counting executions.
    assert _settings_with(url, tmp_path)["prepare"] >= 2**31 - 1
    off = _settings_with({**url, "DB_PREPARED_STATEMENTS": "false"}, tmp_path)
    assert off["prepare"] is None


def test_redis_replies_are_parsed_by_hiredis():
    """A declared dependency (pyproject.toml): redis-py falls back to its Python parser, at
    about 0.1 CPU-ms more per API filing, when hiredis is missing or too old."""
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE


def test_site_url_follows_the_port_make_run_serves_on(tmp_path):
    assert _settings_with({}, tmp_path)["site_url"] == "http://127.0.0.1:8000"
    assert _settings_with({"PORT": "18101"}, tmp_path)["site_url"] == "http://127.0.0.1:18101"
    chosen = {"PORT": "18101", "SITE_URL": "https://appwatch.example.cn/"}
    assert _settings_with(chosen, tmp_path)["site_url"] == "https://appwatch.example.cn"


def test_make_hands_the_port_to_the_served_process():
    """`make run PORT=…` and `PORT=… make run` alike: the recipe's environment holds PORT,
    which gunicorn's process reads back for SITE_URL."""
    probe = ["make", "-s", "--eval", "port-probe: ; @echo $$PORT", "port-probe"]
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS")}
    on_command_line = subprocess.run(
        [*probe, "PORT=18101"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    from_environment = subprocess.run(
        probe, cwd=ROOT, env={**env, "PORT": "18102"}, capture_output=True, text=True, check=True
    )
    by_default = subprocess.run(
        probe, cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert on_command_line.stdout.strip() == "18101"
    assert from_environment.stdout.strip() == "18102"
    assert by_default.stdout.strip() == "8000"


PRODUCTION_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1maWVsZC1rZXktLS0tLS0tLS0tLS0=",
    "CONTACT_INDEX_KEY": "production-index-key",
    "AUDIT_CHAIN_KEY": "production-audit-chain-key",
}


def _deploy_check(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DJANGO_"))
        and k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY")
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "APPWATCH_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "production-" + "k3y-" * 15,
            "ALLOWED_HOSTS": "appwatch.example",
            **PRODUCTION_KEYS,
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_deploy_check_is_clean_behind_https(tmp_path):
    result = _deploy_check({"SECURE_COOKIES": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_contact_keys(tmp_path):
    result = _deploy_check(
        {"SECURE_COOKIES": "true", "FIELD_ENCRYPTION_KEYS": "", "CONTACT_INDEX_KEY": ""}, tmp_path
    )
    assert result.returncode != 0
    assert "Set FIELD_ENCRYPTION_KEYS and CONTACT_INDEX_KEY" in result.stderr
    assert not (tmp_path / "field_encryption_key").exists()


def test_production_settings_refuse_to_start_without_the_audit_chain_key(tmp_path):
    result = _deploy_check({"SECURE_COOKIES": "true", "AUDIT_CHAIN_KEY": ""}, tmp_path)
    assert result.returncode != 0
    assert "Set AUDIT_CHAIN_KEY" in result.stderr
    assert not (tmp_path / "audit_chain_key").exists()


def test_a_development_audit_chain_key_stands_in_with_a_warning(tmp_path):
    result = _deploy_check({"AUDIT_CHAIN_KEY": ""}, tmp_path)
    assert "appwatch.W002" in result.stderr
    assert (tmp_path / "audit_chain_key").exists()
    assert "appwatch.W002" not in _deploy_check({}, tmp_path).stderr


def test_development_keys_stand_in_with_a_warning(tmp_path):
    result = _deploy_check({"FIELD_ENCRYPTION_KEYS": "", "CONTACT_INDEX_KEY": ""}, tmp_path)
    assert "appwatch.W001" in result.stderr
    assert (tmp_path / "field_encryption_key").exists()
    # Keys from the environment: no warning.
    assert "appwatch.W001" not in _deploy_check({}, tmp_path).stderr


def test_deploy_check_names_https_settings_without_secure_cookies(tmp_path):
    result = _deploy_check({}, tmp_path)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_https_settings_follow_secure_cookies_and_can_be_set_one_by_one(tmp_path):
    probe = (
        "import json, django; from django.conf import settings as s; django.setup();"
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE]))"
    )

    def read(env):
        base = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}
        base.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "APPWATCH_VAR_DIR": str(tmp_path),
                **PRODUCTION_KEYS,
            }
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert read({}) == [False, 0, False, False, False]
    assert read({"SECURE_COOKIES": "true"}) == [True, 31_536_000, True, True, True]
    assert read(
        {"SECURE_COOKIES": "true", "SECURE_HSTS_SECONDS": "300", "SECURE_SSL_REDIRECT": "false"}
    ) == [False, 300, True, True, True]


# --- Content-Security-Policy -----------------------------------------------------------------

TEMPLATE_DIRS = [ROOT / "templates", ROOT / "complaints" / "templates"]
# What the policy refuses: a <script> without src (JSON data blocks are not run), a <style>
# element, a style="" or on…="" attribute, a javascript: URL.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*.html")
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.django_db
def test_html_pages_carry_the_policy(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_swagger_ui_loads_its_script_from_here(client):
    page = client.get("/api/schema/swagger/")
    assert "http" not in page["Content-Security-Policy"]  # nothing from another host
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert not INLINE.search(page.content.decode())
    script = client.get("/api/schema/swagger/?script")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
