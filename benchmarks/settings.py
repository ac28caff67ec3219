"""Settings for `make bench`'s gunicorn: production settings with the bench-only urlconf, which
serves the platform's own URLs plus the baseline views of benchmarks/baselines.py."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.baselines"
