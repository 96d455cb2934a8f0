"""Fixtures of the format tests."""
from __future__ import annotations

import pytest
from fmt_samples import sample_volumes


@pytest.fixture(params=[label for label, _ in sample_volumes()])
def sample(request):
    """One of ``sample_volumes()``, by label."""
    return dict(sample_volumes())[request.param]
