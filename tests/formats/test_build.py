"""Build hygiene: Cython directives in one place, no OpenMP without a prange, kernels named statically."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import medfast._kernels as kernels

REPO = Path(__file__).resolve().parents[2]
SRC = sorted((REPO / "src").glob("*.pyx"))


def test_directives_only_in_setup_py():
    assert SRC
    for pyx in SRC:
        lines = pyx.read_text().splitlines()
        assert not [line for line in lines if re.match(r"#\s*cython\s*:", line)], pyx.name
    assert "boundscheck" in (REPO / "setup.py").read_text()


def test_openmp_only_where_a_prange_is():
    uses_prange = any("prange" in p.read_text() for p in SRC)
    assert ("fopenmp" in (REPO / "setup.py").read_text()) == uses_prange


def test_every_kernel_is_named_in_the_stub():
    stub = ast.parse((REPO / "medfast" / "_kernels" / "__init__.pyi").read_text())
    named = {node.name for node in stub.body if isinstance(node, ast.FunctionDef)}
    assert named == set(kernels.KERNELS)
    for name in kernels.KERNELS:  # and the module binds each of them
        assert callable(getattr(kernels, name))
