"""The compiled kernels, or their NumPy twins when ``MEDFAST_PURE_PYTHON=1``.

Every kernel is a function of one of the compiled topic modules
(``medfast._kernels._<topic>``, built from ``src/_<topic>.pyx``) and has a twin
of the same name and signature in ``_reference``, which defines what it must
return bit for bit. This module binds each name to one of the two, once, at
import: there is no per-call fallback. ``COMPILED`` says which was chosen.

Callers should go through ``medfast.kernels``, which validates arguments before
any kernel runs; the kernels themselves assume clean input.
"""
from __future__ import annotations

import importlib
import os
import warnings

from . import _reference

# One entry a src/_<topic>.pyx file.
TOPICS = ("_byteswap", "_bits", "_rescale", "_stack", "_rle", "_photometric", "_scan")

#: Every kernel name; the reference module defines the list.
KERNELS = tuple(_reference.__all__)

PURE_PYTHON = os.environ.get("MEDFAST_PURE_PYTHON", "") not in ("", "0")


def _load_compiled():
    """Return {name: compiled function}, or raise ImportError naming what is missing."""
    found = {}
    for topic in TOPICS:
        module = importlib.import_module(f"{__name__}.{topic}")
        for name in getattr(module, "__all__", ()):
            found[name] = getattr(module, name)
    missing = sorted(set(KERNELS) - set(found))
    if missing:
        raise ImportError(f"compiled kernels missing: {', '.join(missing)}")
    return found


def _select():
    if PURE_PYTHON:
        return False, {name: getattr(_reference, name) for name in KERNELS}
    try:
        return True, _load_compiled()
    except ImportError as err:
        from ._build_hint import missing_build_message

        warnings.warn(f"medfast: {missing_build_message(err)}", RuntimeWarning, stacklevel=2)
        return False, {name: getattr(_reference, name) for name in KERNELS}


COMPILED, _IMPL = _select()
globals().update(_IMPL)

__all__ = ["COMPILED", "KERNELS", "PURE_PYTHON", "TOPICS", *KERNELS]
