"""Inputs the format tests share: nibabel's own test files and synthetic volumes with oblique affines."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

#: A sheared, rotated, translated voxel-to-RAS affine: writers must keep all of it.
OBLIQUE = np.array(
    [[0.9, 0.1, 0.0, -90.0], [0.05, 1.1, 0.2, -100.0], [0.0, -0.1, 1.2, -50.0], [0.0, 0.0, 0.0, 1.0]]
)


def nrrd_affine(header):
    """The RAS+ voxel-to-world affine of a pynrrd header written in LPS space (as medfast writes)."""
    lps = np.diag([-1.0, -1.0, 1.0])
    affine = np.eye(4)
    affine[:3, :3] = lps @ np.asarray(header["space directions"][:3], dtype=np.float64).T
    affine[:3, 3] = lps @ np.asarray(header["space origin"], dtype=np.float64)
    return affine


def nibabel_data(name=""):
    """Path in nibabel's ``tests/data``."""
    import nibabel

    return os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", name)


def sample_volumes():
    """(label, Volume) for int16, uint8, float32, scaled int16 and 4-D, all with an oblique affine."""
    from medfast.volume import Volume

    rng = np.random.default_rng(7)
    base = rng.integers(-300, 300, (9, 8, 7))
    return [
        ("int16", Volume(base.astype(np.int16), OBLIQUE)),
        ("uint8", Volume((base % 200).astype(np.uint8), OBLIQUE)),
        ("float32", Volume((base * 0.37).astype(np.float32), OBLIQUE)),
        ("int16-scaled", Volume(base.astype(np.int16), OBLIQUE, slope=0.5, inter=-20)),
        ("int16-4d", Volume(np.stack([base, base * 2, -base], -1).astype(np.int16), OBLIQUE)),
    ]



@pytest.fixture(params=[label for label, _ in sample_volumes()])
def sample(request):
    """One of :func:`sample_volumes`, by label (import it into a test module to use it)."""
    return dict(sample_volumes())[request.param]


def unu():
    """teem's ``unu`` (Debian installs it as ``teem-unu``)."""
    from support import require_tool

    return shutil.which("unu") or require_tool("teem-unu")
