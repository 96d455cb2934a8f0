"""Shared benchmark fixtures, and what plain ``pytest`` does with the benchmarks.

Plain ``pytest`` (and ``pytest --benchmark-disable``, the CI command) runs each
benchmark once, on small data: a check that it works and that medfast and its
anchor agree, not a measurement. Full-size data and timing come with
``--benchmark-only`` (or ``--benchmark-full``; ``--benchmark-enable`` times the
small data).
"""
import os

import pytest

from anchors import full_size


def pytest_addoption(parser):
    parser.addoption("--benchmark-full", action="store_true", default=False,
                     help="benchmarks on full-size data (implied by --benchmark-only)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Before pytest-benchmark reads its options: timing stays off unless asked for.
    timed = full_size(config) or config.getoption("benchmark_enable", False)
    if not timed and hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True


@pytest.fixture(scope="session")
def small(request):
    """True unless --benchmark-only or --benchmark-full: benchmarks then build tiny data and run once."""
    return not full_size(request.config)


@pytest.fixture(autouse=True)
def _load_average(request):
    """The 1-minute load average as each benchmark ends, in its ``extra_info`` (figures from a busy machine say so)."""
    yield
    bench = request.node.funcargs.get("benchmark")
    if bench is not None and hasattr(os, "getloadavg"):
        bench.extra_info["load"] = round(os.getloadavg()[0], 2)
