"""Where the benchmarks' anchors live (imported as ``from anchors import ...``: benchmarks/ is on sys.path)."""
from __future__ import annotations

import os
import shutil


def dcm2niix_binary():
    """The compiled dcm2niix inside the PyPI package: the anchor without its Python launcher's start-up."""
    try:
        import dcm2niix
    except ImportError:
        return shutil.which("dcm2niix") or "dcm2niix"
    path = os.path.join(os.path.dirname(dcm2niix.__file__), "dcm2niix")
    return path if os.access(path, os.X_OK) else shutil.which("dcm2niix") or "dcm2niix"


def full_size(config):
    """True when the benchmarks should build their full-size data (``--benchmark-only`` or ``--benchmark-full``)."""
    return bool(config.getoption("benchmark_only", False) or config.getoption("benchmark_full", False))
