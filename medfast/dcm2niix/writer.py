"""Writing one series as dcm2niix does: the image, the JSON sidecar, ``.bval``/``.bvec``, ``_Eq``/``_Tilt``.

The conversion engine (``medfast.convert``) decides names and where files go;
this module decides what each file holds.
"""
from __future__ import annotations

import os

from .._atomic import atomic_path
from . import crop, mgh_export, nrrd_export
from ..dicom.values import vendor_key
from .gradients import derived_volumes, gradient_files, recorded_gradients, series_gradients
from .nifti_header import nifti_fields
from .orientation import ROWS_PRESERVED, as_asked, unflipped_sidecar, unflipped_vectors
from .overlays import overlay_volumes
from .resample import extra_volumes
from .sidecar import MASK_COMMENTS, build_sidecar, to_json

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
    header = vol.meta.get("header")
    sidecar = build_sidecar(vol, header, anonymize=options.anonymize, comment=options.comment,
                            omit_pii=options.omit_pii, philips_precise=options.philips_precise) \
        if header is not None else None
    vol, rows_preserved = as_asked(vol, rotate_3d=options.rotate_3d, flip_y=options.flip_y)
    if rows_preserved:
        job.notes.append(ROWS_PRESERVED)
    kept = _crop_range(vol, job) if options.image and options.crop and options.rotate_3d else None
    if not options.flip_y:
        unflipped_sidecar(sidecar)
    series = vol
    gradients = _gradients(vol, options.flip_y) if options.image else None
    if gradients is not None and gradients[2]:  # derived trace/ADC volumes: a copy with all, the DWI without
        full, vol = _split_derived(vol, gradients)
        if not options.ignore_derived:
            written += _write_image(full, base + "_ADC", options, sidecar)
    if options.image and options.to in ("nii", "nii.gz"):  # dcm2niix's overlay planes, before the image
        from ..dicom.reader import header_of

        for suffix, roi in overlay_volumes(series, header_of):
            written += _write_image(roi, base + suffix, options, sidecar)
    if options.image:
        written += _write_image(vol, base, options, sidecar, gradients=_nrrd_gradients(vol, gradients, options))
    if options.sidecar and sidecar is not None and not job.failed:
        path = base + ".json"
        text = to_json(sidecar)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    if options.image:
        if options.export == "n" or (gradients is not None and gradients[4]):  # NRRD, MGH: only the b=0 zeros
            written += _write_gradients(gradients, base)
        # dcm2niix also writes the stack resampled to even spacing, and the gantry-tilt-corrected stack
        for suffix, extra in extra_volumes(vol):
            written += _write_image(extra, base + suffix, options, sidecar, untilted_sform=False)
    if kept is not None:
        job.notes.append(crop.cropping_line(*kept, vol.stored.shape[2]))
        written += _write_image(crop.cropped(vol, *kept), base + crop.SUFFIX, options, sidecar)
    job.written = written
    return written


def _crop_range(vol, job):
    """``-x y``: the slices the ``_Crop_1`` copy keeps, or None; a stack dcm2niix fails to crop fails the job."""
    try:
        return crop.crop_range(vol)
    except crop.NotCropped as err:
        job.failed = True  # dcm2niix: the series failed, its sidecar removed, its image kept
        if str(err):
            job.notes.append(str(err))
        return None


def _dcm2niix_rows(vol):
    """The volume as dcm2niix stores it: GE's reversed pepolar images have their rows flipped, affine kept."""
    from ..dicom import ge
    from ..volume import Volume

    header = vol.meta.get("header")
    if header is None or not ge.rows_flipped(header):
        return vol
    return Volume(vol.stored[:, ::-1], vol.affine, vol.meta, slope=vol.slope, inter=vol.inter)


def _write_image(vol, base, options, sidecar=None, untilted_sform=True, gradients=None):
    """Write ``base`` + the format's extension through the format's one writer; return the paths written.

    NIfTI, dcm2niix's NRRD (``-e y``, ``gradients`` in its header) and MGH (``-e o``) get the header fields
    dcm2niix decides.
    """
    from .. import formats
    from ..formats.nifti_layout import SPATIAL_CODES, TIME_CODES

    vol = _dcm2niix_rows(vol)
    if options.to in ("nii", "nii.gz"):
        fields = nifti_fields(vol, sidecar=sidecar, untilted_sform=untilted_sform)
        if options.comment is not None:  # -c: the comment replaces ImageComments ("" for -c "")
            comment = "" if options.comment == MASK_COMMENTS else options.comment[:23]
            fields["aux_file"] = comment.encode("latin-1", "replace")
        spatial, time = (next(k for k, v in codes.items() if v == code)
                         for codes, code in zip((SPATIAL_CODES, TIME_CODES), fields.pop("xyzt_units")))
        vol = vol.replace(time_step=fields.pop("pixdim4"), time_unit=time, spatial_unit=spatial, nifti_fields=fields)
    if options.export == "y":
        return nrrd_export.write(vol, base + nrrd_export.EXTENSION[options.to == "nii.gz"], sidecar, gradients)
    if options.export == "o":
        return mgh_export.write(vol, base + mgh_export.EXTENSION[options.to == "nii.gz"], sidecar, options.gz_level)
    path = base + EXTENSIONS[options.to]
    nifti = {"big_endian": options.big_endian} if options.to in ("nii", "nii.gz") else {}
    formats.write(vol, path, **nifti, **({"gz_level": options.gz_level} if options.to == "nii.gz" else {}))
    return [path]


def _split_derived(vol, gradients):
    """(every volume with the derived ones last, the DWI volumes only) as dcm2niix's _ADC and main files."""
    kept, derived = gradients[1], gradients[2]
    stored = vol.stored
    full = stored if derived == list(range(len(kept), stored.shape[3])) else stored[..., kept + derived]
    dwi = stored[..., kept] if len(kept) > 1 else stored[..., kept[0]]
    make = lambda data: type(vol)(data, vol.affine, vol.meta, slope=vol.slope, inter=vol.inter)  # noqa: E731
    return make(full), make(dwi)


def _gradients(vol, flip_y=True):
    """((bvals, bvecs) of the volumes the DWI keeps, kept indices, derived indices, isotropic, unweighted), or None.

    ``flip_y=False`` (``-y n``): the b-vectors of rows kept in DICOM order.
    """
    from ..dicom.reader import header_of  # the headers the reader kept: no file is read again

    got = series_gradients(vol, header_of)
    if got is None:
        return None
    vendor = vendor_key(vol.meta.get("Manufacturer"))
    kept, derived, isotropic = derived_volumes(got.bvals, got.bvecs, vendor, vol.meta.get("header"))
    bvecs = got.bvecs[kept] if flip_y else unflipped_vectors(got.bvecs[kept])
    return (got.bvals[kept], bvecs), kept, derived, isotropic, got.unweighted


def _nrrd_gradients(vol, gradients, options):
    """``-e y``: the (b-values, vectors) dcm2niix's NRRD header lists: those of the .bval/.bvec it would write,
    else those the files record (the b=0 zeros of an unweighted diffusion series go to files: None)."""
    if options.export != "y" or (gradients is not None and gradients[4]):
        return None
    if gradients is not None:
        return gradients[0]
    from ..dicom.reader import header_of

    return recorded_gradients(vol, header_of)


def _write_gradients(gradients, base):
    """The .bval and .bvec files (an isotropic series gets its .bval only, as dcm2niix)."""
    if gradients is None:
        return []
    (bvals, bvecs), isotropic, unweighted = gradients[0], gradients[3], gradients[4]
    paths = []
    for ext, text in gradient_files(bvals, bvecs, isotropic, unweighted=unweighted):
        with atomic_path(base + ext) as tmp, open(tmp, "w") as f:
            f.write(text)
        paths.append(base + ext)
    return paths
