"""Why the compiled kernels did not load, said so that the user knows what to type.

The usual cause is not a missing compiler: Python was started in a clone of the
repository, so ``import medfast`` found the uncompiled source tree (the current
folder comes first on ``sys.path``) before the installed, compiled package.
"""
from __future__ import annotations

import glob
import importlib.machinery
import os
import sys

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../medfast
_ROOT = os.path.dirname(_PACKAGE)


def _is_source_tree():
    return os.path.isfile(os.path.join(_ROOT, "setup.py")) and bool(glob.glob(os.path.join(_ROOT, "src", "_*.pyx")))


def _installed_elsewhere():
    """The folder of an installed medfast (regular or editable) that has compiled kernels, or None."""
    import importlib.metadata
    import json
    from urllib.parse import unquote, urlparse

    candidates = []
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != _ROOT]
    spec = importlib.machinery.PathFinder.find_spec("medfast", others)
    candidates += list(spec.submodule_search_locations or []) if spec else []
    try:  # an editable install is found by its own import hook, not on sys.path: ask its metadata
        direct = json.loads(importlib.metadata.distribution("medfast").read_text("direct_url.json") or "{}")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        direct = {}
    if direct.get("dir_info", {}).get("editable"):
        candidates.append(os.path.join(unquote(urlparse(direct.get("url", "")).path), "medfast"))
    for folder in candidates:
        if os.path.abspath(folder) != _PACKAGE and glob.glob(os.path.join(folder, "_kernels", "_stack.*")):
            return folder
    return None


def missing_build_message(err):
    """One paragraph: what is imported, why it has no kernels, and the command that fixes it."""
    if not _is_source_tree():
        return (f"compiled kernels unavailable ({err}); running the NumPy reference. Reinstall medfast "
                "where a C compiler is available, or set MEDFAST_PURE_PYTHON=1 to choose this.")
    installed = _installed_elsewhere()
    if installed:
        return (f"Python imported the source tree {_PACKAGE} (started in the repository folder, which comes "
                f"first on sys.path), not the installed medfast in {installed}; the source tree has no compiled "
                f"kernels, so the NumPy reference runs. Run from another folder, or build the source tree in "
                f"place with: pip install -e {_ROOT}")
    return (f"the source tree {_PACKAGE} has no compiled kernels (not built yet), so the NumPy reference runs. "
            f"Build them with: pip install -e {_ROOT}   (or: pip install {_ROOT}, then run from another folder)")
