"""Fixtures shared by the tests; the helper functions live in ``support.py``."""
from __future__ import annotations

import contextlib
import os

import pydicom.data.data_manager
import pytest

from support import corpus_root


def _no_download(name, *args, **kwargs):
    raise ConnectionError(f"the tests do not download pydicom test file {name}")


# pydicom's data manager looks for its online-only test files whenever a pattern
# matches them, retrying each download for 21 s: offline (as in CI) that is
# minutes. The tests use the files pydicom and pydicom-data ship, nothing else.
pydicom.data.data_manager.data_path_with_download = _no_download


@pytest.fixture(scope="session")
def corpus():
    """Path of ``../shared/corpus`` (or wherever MEDFAST_CORPUS points)."""
    return corpus_root()


def pytest_unconfigure(config):
    """Remove ``pytest-of-USER`` from the temporary folder when this run left it empty.

    With ``tmp_path_retention_policy = "failed"`` (pyproject.toml) a passing run
    removes its own folder; this removes the empty parent, so a run leaves
    nothing behind. A concurrent run's folder keeps the parent non-empty, and
    ``rmdir`` never removes a non-empty folder.
    """
    factory = getattr(config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)
    if base is not None and getattr(factory, "_given_basetemp", None) is None:
        with contextlib.suppress(OSError):
            os.rmdir(base.parent)
