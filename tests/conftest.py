"""Fixtures shared by the tests; the helper functions live in ``support.py``."""
from __future__ import annotations

import pytest

from support import corpus_root


@pytest.fixture(scope="session")
def corpus():
    """Path of ``../shared/corpus`` (or wherever MEDFAST_CORPUS points)."""
    return corpus_root()
