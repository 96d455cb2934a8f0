"""The NumPy twin of every compiled kernel: same names, same signatures.

This module defines what each kernel returns. It is written as the most
obvious NumPy, not the fastest; the compiled kernel in ``src/_<topic>.pyx``
must give the same bytes. Each topic has its own section below, in the order
of ``medfast._kernels.TOPICS``; ``__all__`` lists every kernel, and the tests
iterate over it, so a kernel without a twin (or a twin without a kernel) fails.
"""
from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _kernel(func):
    """Register a twin in ``__all__``."""
    __all__.append(func.__name__)
    return func


# ---- _byteswap ---------------------------------------------------------------


# ---- _bits -------------------------------------------------------------------


# ---- _rescale ----------------------------------------------------------------


# ---- _stack ------------------------------------------------------------------


# ---- _rle --------------------------------------------------------------------


# ---- _photometric ------------------------------------------------------------


# ---- _scan -------------------------------------------------------------------
