"""Build the Cython kernels: each src/_<topic>.pyx becomes medfast._kernels._<topic>.

Everything else about the package lives in pyproject.toml. The Cython
directives are set here, for every kernel, and nowhere else (no
``# cython:`` header line in a .pyx), so ``MEDFAST_DEBUG_BUILD=1`` turns the
bounds checks on in every kernel, the scanner of untrusted bytes included.
"""
import os
import re
import sys
from pathlib import Path

import Cython
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# -ffp-contract=off: no fused multiply-add, so x * slope + intercept rounds twice,
# exactly as NumPy does; the kernels must equal their NumPy twins bit for bit.
# No OpenMP: no kernel has a prange (a benchmark must show one pays first).
# MSVC: /fp:precise (its default) does not contract unless /fp:contract is given.
FLAGS = {"unix": ["-O3", "-ffp-contract=off", "-fno-strict-aliasing"], "msvc": ["/O2", "/fp:precise"]}
DEBUG = os.environ.get("MEDFAST_DEBUG_BUILD") == "1"  # bounds checks on, for fuzzing
DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
}
# Cython's utility code (memoryviews, fused-type dispatch) in one shared module instead of a copy in
# every kernel: Cython 3.1 and later.
SHARED = "medfast._kernels._cyutility"
_HAS_SHARED = tuple(int(p) for p in Cython.__version__.split(".")[:2]) >= (3, 1)


def _no_header_directives(pyx):
    """Refuse a ``# cython:`` line in a .pyx: it would override DIRECTIVES for that kernel, debug build included."""
    for path in pyx:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"#\s*cython\s*:", line):
                sys.exit(f"{path}:{number}: Cython directives belong in setup.py's DIRECTIVES, not in the .pyx")


def extensions():
    pyx = sorted(Path("src").glob("_*.pyx"))
    _no_header_directives(pyx)
    only = os.environ.get("MEDFAST_KERNELS")  # build a subset while developing one kernel
    if only:
        pyx = [p for p in pyx if p.stem in only.split(",")]
    common = {
        "include_dirs": [np.get_include(), "src"],
        "define_macros": [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    }
    exts = [Extension(f"medfast._kernels.{p.stem}", [str(p)], **common) for p in pyx]
    options = {}
    if _HAS_SHARED:
        exts.insert(0, Extension(SHARED, [os.path.join("src", "_cyutility.c")]))
        options["shared_utility_qualified_name"] = SHARED
    return cythonize(exts, compiler_directives=DIRECTIVES, include_path=["src"], **options)


class BuildKernels(build_ext):
    """Compiler flags chosen by the compiler in use (GCC/Clang or MSVC), not by the platform."""

    def build_extensions(self):
        flags = FLAGS.get(self.compiler.compiler_type, FLAGS["unix"])
        for ext in self.extensions:
            ext.extra_compile_args = flags + list(ext.extra_compile_args or [])
        super().build_extensions()


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildKernels}, package_data={"medfast._kernels": ["*.pyi"]})
