"""Fixtures for classifier tests (defined in helpers so other test packages can import them)."""

from .helpers import active_version, eager_tasks, model_dirs  # noqa: F401
