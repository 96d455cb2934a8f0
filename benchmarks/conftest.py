"""Shared benchmark fixtures."""
import pytest


@pytest.fixture(scope="session")
def small(request):
    """True under ``--benchmark-disable`` (the CI run): benchmarks then build tiny data and run once."""
    return bool(request.config.getoption("benchmark_disable", False))
