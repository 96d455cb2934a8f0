"""Synthetic vendor MR series for the dcm2niix tests: medfast's phantom series with a vendor's tags.

``vendor_series`` writes a 4-D EPI-like series (``medfast.synth``) and lets
the test rewrite each file's header (manufacturer, private tags with their
private creators); ``against_dcm2niix`` runs the ``dcm2niix`` package and
medfast on the folder and returns the comparison score.
"""
from __future__ import annotations

import pydicom

from dcm2niix_compare import score_with_oracle
from medfast.synth import write_mr_series
from support import require_tool


def vendor_series(folder, edit, *, shape=(16, 12, 6, 3), series_number=5, tr=2.0):
    """Write the series and call ``edit(ds, t, k)`` on each file's data set (volume t, slice k) before saving it."""
    nz = shape[2]
    paths = write_mr_series(folder, shape=shape, series_number=series_number, tr=tr)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        edit(ds, n // nz, n % nz)
        ds.save_as(path, enforce_file_format=True)
    return paths


def private(ds, group, creator, elements):
    """Add ``{element: (VR, value)}`` under ``creator`` in ``group`` (elements as the low byte, e.g. 0x9C)."""
    block = ds.private_block(group, creator, create=True)
    for element, (vr, value) in elements.items():
        block.add_new(element, vr, value)


def against_dcm2niix(folder, workdir, args=("-b", "y", "-z", "n", "-f", "%s_%p")):
    """Score medfast against the dcm2niix package on ``folder`` (skips outside CI when dcm2niix is missing)."""
    require_tool("dcm2niix")
    return score_with_oracle(folder, workdir, args)


def assert_same(score):
    """Every file dcm2niix wrote, written the same by medfast."""
    assert score.names_missing == [] and score.names_extra == [], (score.names_missing, score.names_extra)
    assert score.problems == {}
    assert score.nifti > 0 and score.nifti_ok == score.nifti
    assert score.grad_ok == score.grad and score.keys_ok == score.keys
