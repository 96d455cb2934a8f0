"""Build hygiene, checked on the installed package: the kernels are named statically.

(setup.py itself refuses a ``# cython:`` directive line in a .pyx, so the
directives, ``MEDFAST_DEBUG_BUILD``'s bounds checks included, live in one place.)
"""
from __future__ import annotations

import ast
from pathlib import Path

import medfast._kernels as kernels

PACKAGE = Path(kernels.__file__).parent


def test_every_kernel_is_named_in_the_stub():
    stub = ast.parse((PACKAGE / "__init__.pyi").read_text())
    named = {node.name for node in stub.body if isinstance(node, ast.FunctionDef)}
    assert named == set(kernels.KERNELS)
    for name in kernels.KERNELS:  # and the module binds each of them
        assert callable(getattr(kernels, name))
