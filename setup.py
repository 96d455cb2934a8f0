"""Build the Cython kernels: each src/_<topic>.pyx becomes medfast._kernels._<topic>.

Everything else about the package lives in pyproject.toml.
"""
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# -ffp-contract=off: no fused multiply-add, so x * slope + intercept rounds twice,
# exactly as NumPy does; the kernels must equal their NumPy twins bit for bit.
BASE_FLAGS = ["-O3", "-ffp-contract=off", "-fno-strict-aliasing"]
DEBUG = os.environ.get("MEDFAST_DEBUG_BUILD") == "1"  # bounds checks on, for fuzzing


def _has_openmp(compiler):
    """True when the compiler builds and links a tiny OpenMP program."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "omp.c")
        src.write_text("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            objs = compiler.compile([str(src)], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objs, str(Path(tmp, "omp")), extra_postargs=["-fopenmp"])
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def build_extensions(self):
        openmp = sys.platform != "win32" and _has_openmp(self.compiler)
        for ext in self.extensions:
            ext.extra_compile_args = BASE_FLAGS + (["-fopenmp"] if openmp else [])
            ext.extra_link_args = ["-fopenmp"] if openmp else []
        super().build_extensions()


def extensions():
    pyx = sorted(Path("src").glob("_*.pyx"))
    only = os.environ.get("MEDFAST_KERNELS")  # build a subset while developing one kernel
    if only:
        pyx = [p for p in pyx if p.stem in only.split(",")]
    exts = [
        Extension(
            f"medfast._kernels.{p.stem}",
            [str(p)],
            include_dirs=[np.get_include(), "src"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for p in pyx
    ]
    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": False,
        "initializedcheck": DEBUG,
        "cdivision": True,
    }
    return cythonize(exts, compiler_directives=directives, include_path=["src"])


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
