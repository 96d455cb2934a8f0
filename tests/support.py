"""Helpers the tests share: where the corpus and the oracles are, and how a missing one is handled.

Outside CI a missing corpus or oracle skips the tests that need it, with the
reason. In CI (``CI`` set) nothing may skip itself: a missing one fails.

Import as ``from support import ...``: pytest puts ``tests/`` on ``sys.path``
(it holds a conftest.py), while the repository root stays off it, so the tests
import the installed medfast, with its compiled kernels, not the source tree.
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")


def missing(reason):
    """Skip outside CI, fail inside it."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def corpus_root():
    """The DICOM reference corpus folder, from MEDFAST_CORPUS."""
    path = os.environ.get("MEDFAST_CORPUS")
    if not path:
        missing("needs the DICOM reference corpus (dcm_qa folders with dcm2niix's Ref/ outputs): "
                "run with MEDFAST_CORPUS=/path/to/corpus (beside this repository: ../shared/corpus)")
    root = Path(path)
    if not root.is_dir():
        missing(f"MEDFAST_CORPUS={path} is not a folder: point it at the DICOM reference corpus")
    return root


# Debian installs some oracles under a prefixed name.
_TOOL_ALIASES = {"unu": ("unu", "teem-unu")}
# How to get each command-line oracle.
_TOOL_SOURCES = {"unu": "apt-get install teem-apps (Debian, Ubuntu)", "dcm2niix": 'pip install ".[test]"'}
_TOOL_SOURCES["teem-unu"] = _TOOL_SOURCES["unu"]


def require_tool(name):
    """Path of a command-line oracle such as teem's ``unu`` (Debian: ``teem-unu``)."""
    path = next(filter(None, map(shutil.which, _TOOL_ALIASES.get(name, (name,)))), None)
    if path is None:
        missing(f"command {name} not found: {_TOOL_SOURCES.get(name, 'install it and put it on PATH')}")
    return path


def require_module(name):
    """Import an optional oracle module (SimpleITK, gdcm, dcm2niix ...)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"Python module {name} is not installed: pip install \".[test]\"")


def dcm2niix_executable():
    """The compiled dcm2niix inside the ``dcm2niix`` package (the oracle), whatever PATH holds."""
    try:
        import dcm2niix
    except ImportError:
        missing("the dcm2niix package is not installed (pip install -e '.[test]')")
    path = os.path.join(os.path.dirname(dcm2niix.__file__), "dcm2niix")
    if not os.access(path, os.X_OK):
        missing(f"no dcm2niix executable in the dcm2niix package ({path})")
    return path


def dcm2niix_oracle(folder, out, series=2):
    """The first NIfTI the dcm2niix command writes for ``folder`` (no resampled copies)."""
    import nibabel as nib

    exe = require_tool("dcm2niix")
    out.mkdir()
    subprocess.run([exe, "-b", "n", "-z", "n", "-f", "%s", "-o", str(out), str(folder)],
                   check=True, capture_output=True)
    return nib.load(out / f"{series}.nii")


def final_outputs(out):
    """Relative path -> bytes of every final output under ``out`` (the bulk engine's own files start with a dot)."""
    found = {}
    for folder, dirs, names in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                path = os.path.join(folder, name)
                found[os.path.relpath(path, out)] = Path(path).read_bytes()
    return found
