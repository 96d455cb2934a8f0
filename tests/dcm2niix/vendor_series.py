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


def siemens_protocol(**values):
    r"""A Siemens ASCII protocol ("### ASCCONV BEGIN" ... "END") with ``key = value`` lines, for (0029,1020).

    Keys that are not Python names are passed as a dict: ``siemens_protocol(**{"alTI[0]": 900000})``;
    a string value is written in the protocol's double quotes.
    """
    lines = [f'{key}\t = \t""{value}""' if isinstance(value, str) else f"{key}\t = \t{value}"
             for key, value in values.items()]
    return ("SIEMENS\n### ASCCONV BEGIN object=MrProtDataImpl@MrProtocolData ###\n" + "\n".join(lines)
            + "\n### ASCCONV END ###\n").encode("latin-1")


def bids_guesses(folder, workdir, args=("-b", "y", "-z", "n", "-f", "%s_%p")):
    """Run the dcm2niix package and medfast on ``folder``; for each sidecar dcm2niix wrote:
    ``(name, its SeriesNumber, dcm2niix's BidsGuess, medfast's)``.

    A guess is a tuple, None without the key; medfast's is "not written" when it wrote no such sidecar.
    """
    import json
    from pathlib import Path

    workdir = Path(workdir)
    against_dcm2niix(folder, workdir, args)
    out = []
    for ref in sorted((workdir / "ref").glob("*.json")):
        theirs = json.loads(ref.read_text())
        got = workdir / "got" / ref.name
        mine = _guess(json.loads(got.read_text())) if got.exists() else "not written"
        out.append((ref.name, theirs.get("SeriesNumber"), _guess(theirs), mine))
    return out


def _guess(sidecar):
    found = sidecar.get("BidsGuess")
    return None if found is None else tuple(found)
