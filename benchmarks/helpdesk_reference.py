"""django-helpdesk's ticket API, the outside reference for API filing in `make bench`.

Installed from PyPI with pip into a virtualenv of its own under var/bench/ (once per version;
pinned with AppWatch's constraints, so Django, DRF, psycopg and gunicorn are the same
versions), with its own scratch database, served by gunicorn with AppWatch's worker and thread
counts (benchmarks/helpdesk_site; this module is not named helpdesk, so it cannot hide the
package when the site runs from this folder). Tickets are filed with a token, as an intake client would.
When it cannot be installed the figures are skipped with the reason.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.scratch import ROOT, SERVER, create_database, drop_databases
from benchmarks.stack import Processes, free_port, wait_http

VERSION = "2.6.1"
SITE = Path(__file__).resolve().parent


def install(var_dir: Path) -> Path | str:
    """The virtualenv's bin folder, or why it could not be installed."""
    venv = var_dir.resolve() / f"helpdesk-venv-{VERSION}"
    stamp = venv / ".installed"
    if stamp.exists():
        return venv / "bin"
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
             "-c", str(ROOT / "constraints.txt"),
             f"django-helpdesk=={VERSION}", "gunicorn", "psycopg[binary]"],
            check=True, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or "").strip().splitlines()[-1:] or [str(error)]
        return f"django-helpdesk {VERSION} could not be installed: {tail[0]}"
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"django-helpdesk {VERSION} could not be installed: {error}"
    stamp.touch()
    return venv / "bin"


class HelpdeskServer:
    """Its database, migrations, an API user and queue, and gunicorn; `ticket_body` is the
    JSON a ticket takes, `headers` the token."""

    def __init__(self, bin_dir: Path, workdir: Path, workers: int, threads: int):
        self.bin_dir, self.workers, self.threads = bin_dir, workers, threads
        self.database = f"appwatch_bench_helpdesk_{os.getpid()}"
        self.port = free_port()
        host = SERVER.split("@", 1)[-1].split("/", 1)[0]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(SITE),
            "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
            "HELPDESK_DB_NAME": self.database,
            "HELPDESK_DB_HOST": host.split(":")[0],
            "HELPDESK_DB_PORT": host.split(":")[1] if ":" in host else "5432",
        }
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "VIRTUAL_ENV"):
            self.env.pop(name, None)
        self.processes = Processes(workdir, self.env)
        self.headers: dict = {}
        self.queue = 0

    def __enter__(self) -> "HelpdeskServer":
        drop_databases(self.database)
        create_database(self.database)
        try:
            python = str(self.bin_dir / "python")
            subprocess.run(
                [python, "-m", "django", "migrate", "-v0"],
                cwd=SITE,
                env=self.env,
                check=True,
                capture_output=True,
            )
            made = json.loads(
                subprocess.run(
                    [python, str(SITE / "helpdesk_site" / "prepare.py")],
                    cwd=SITE, env=self.env, check=True, capture_output=True, text=True,
                ).stdout.strip().splitlines()[-1]
            )  # fmt: skip
            self.headers = {"Authorization": f"Token {made['token']}"}
            self.queue = made["queue"]
            self.processes.start(
                "helpdesk",
                [str(self.bin_dir / "gunicorn"), "helpdesk_site.wsgi", "--chdir", str(SITE),
                 "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                 "--threads", str(self.threads)],
            )  # fmt: skip
            wait_http(self.port, "/helpdesk/api/")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop_all()
        drop_databases(self.database)

    def pid(self) -> int:
        return self.processes.running["helpdesk"].pid

    def ticket_body(self, app_name: str, description: str) -> dict:
        return {
            "queue": self.queue,
            "title": f"{app_name}: {description[:60]}",
            "description": description,
            "submitter_email": "consumer@example.com",
            "priority": 3,
        }
