"""Writing one series as dcm2niix does: the image, the JSON sidecar, ``.bval``/``.bvec``, ``_Eq``/``_Tilt``.

The conversion engine (``medfast.convert``) decides names and where files go;
this module decides what each file holds.
"""
from __future__ import annotations

import os

from .._atomic import atomic_path
from .gradients import bval_text, bvec_text, series_gradients
from .nifti_header import build_header
from .resample import equalize_slices, tilt_corrected
from .sidecar import build_sidecar, to_json

# output format (``Options.to``) -> file extension
EXTENSIONS = {"nii.gz": ".nii.gz", "nii": ".nii", "nrrd": ".nrrd", "mnc": ".mnc"}


def write_job(job, options):
    """Write one series: image, sidecar, bval/bvec, and the ``_Eq``/``_Tilt`` copies; return the paths written.

    ``job`` is a ``medfast.convert.Job`` (a volume and its output base path),
    ``options`` a ``medfast.convert.Options``.
    """
    vol, base = job.volume, job.base
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    written = []
    if options.image:
        path = base + EXTENSIONS[options.to]
        _write_image(vol, path, options.to)
        written.append(path)
    header = vol.meta.get("header")
    if options.sidecar and header is not None:
        path = base + ".json"
        text = to_json(build_sidecar(vol, header, anonymize=options.anonymize))
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    if options.image:
        written += _write_gradients(vol, base)
        # dcm2niix also writes the stack resampled to even spacing, and the gantry-tilt-corrected stack
        for suffix, extra in (("_Eq_1", equalize_slices(vol)), ("_Tilt_1", tilt_corrected(vol))):
            if extra is not None:
                path = base + suffix + EXTENSIONS[options.to]
                _write_image(extra, path, options.to)
                written.append(path)
    job.written = written
    return written


def _dcm2niix_rows(vol):
    """The volume as dcm2niix stores it: GE's reversed pepolar images have their rows flipped, affine kept."""
    from ..dicom import ge
    from ..volume import Volume

    header = vol.meta.get("header")
    if header is None or not ge.rows_flipped(header):
        return vol
    return Volume(vol.stored[:, ::-1], vol.affine, vol.meta, slope=vol.slope, inter=vol.inter)


def _write_image(vol, path, to):
    vol = _dcm2niix_rows(vol)
    if to in ("nrrd", "mnc"):
        from .. import formats

        formats.write(vol, path)
        return
    import nibabel as nib

    from ..formats.nifti import save_nifti

    img = nib.Nifti1Image(vol.stored, None, build_header(vol))
    img.header.set_slope_inter(vol.slope, vol.inter)  # nibabel clears scaling when it makes the image
    save_nifti(img, path)


def _write_gradients(vol, base):
    from ..dicom.reader import header_of  # the headers the reader kept: no file is read again

    got = series_gradients(vol, header_of)
    if got is None:
        return []
    paths = []
    for ext, text in ((".bval", bval_text(got[0])), (".bvec", bvec_text(got[1]))):
        with atomic_path(base + ext) as tmp, open(tmp, "w") as f:
            f.write(text)
        paths.append(base + ext)
    return paths
