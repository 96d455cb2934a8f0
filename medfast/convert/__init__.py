"""Conversion engine: ``plan`` (read, group, name) then ``execute`` (write).

``medfast convert`` and ``medfast dcm2niix`` share it. ``plan`` reads the
sources with ``medfast.read_dicom`` and gives every series its output base
name from the ``-f`` template and dcm2niix's conflict rule; ``execute`` writes
each job (image, JSON sidecar, ``.bval``/``.bvec``), each file atomically. A
job is a plain record. ``convert`` and ``medfast convert`` run the bulk engine
(``bulk``: a stream of per-series tasks, resumable, local or on Dask), which
writes each series with the same ``write_job``.
"""
from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidArgumentError

FORMATS = {"nii.gz": ".nii.gz", "nii": ".nii", "nrrd": ".nrrd", "mnc": ".mnc"}


@dataclass(frozen=True)
class Options:
    """What dcm2niix's options decide (defaults: dcm2niix's, with gzip output and ``%p_%s``)."""

    template: str = "%p_%s"
    to: str = "nii.gz"
    sidecar: bool = True
    image: bool = True  # False: dcm2niix -b o (sidecar only)
    anonymize: bool = True
    conflict: int = 2  # dcm2niix -w: 0 skip, 1 overwrite, 2 add a suffix
    ignore_derived: bool = False
    add_postfixes: bool = True
    depth: int = None  # dcm2niix -d: sub-folder levels searched below each source (None: all)

    def __post_init__(self):
        if self.to not in FORMATS:
            raise InvalidArgumentError(f"convert: output format {self.to!r} not one of {sorted(FORMATS)}")
        if self.conflict not in (0, 1, 2):
            raise InvalidArgumentError(f"convert: name-conflict behaviour {self.conflict!r} not 0, 1 or 2")


@dataclass
class Job:
    """One output: a series and the base path (no extension) its files get."""

    volume: object
    base: str
    indir_parent: str = ""
    written: list = field(default_factory=list)


def _indir_parent(source):
    path = os.path.abspath(os.fspath(source))
    if os.path.isfile(path):
        path = os.path.dirname(path)
    return os.path.basename(path.rstrip(os.sep))


def plan(sources, out_dir, options=None):
    """Read the DICOM series under ``sources`` and name their outputs in ``out_dir``.

    Returns the list of ``Job`` in dcm2niix's conversion order; a name already
    on disk (or planned earlier in the list) follows ``options.conflict``.
    """
    from ..dicom import read_dicom
    from ..dicom.naming import exists, format_name, name_fields, resolve_conflict

    options = options or Options()
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    planned = set()
    jobs = []
    for source in sources:
        parent = _indir_parent(source)
        found = _files_to_depth(source, options.depth) if options.depth is not None else source
        for vol in read_dicom(found, ignore_derived=options.ignore_derived):
            header = vol.meta.get("header") or {}
            fields = name_fields(header, vol.meta, indir_parent=parent, source_name=_source_name(vol))
            rel = format_name(options.template, fields, add_postfixes=options.add_postfixes)
            base = os.path.join(os.fspath(out_dir), rel)
            base = resolve_conflict(base, lambda p: p in planned or exists(p), options.conflict)
            if base is None:
                continue
            planned.add(base)
            jobs.append(Job(vol, base, parent))
    return jobs


def _files_to_depth(source, depth):
    """The files under ``source`` at most ``depth`` folder levels down (a file is itself)."""
    source = os.fspath(source)
    if not os.path.isdir(source):
        return [source]
    base = source.rstrip(os.sep).count(os.sep)
    files = []
    for folder, dirs, names in os.walk(source):
        dirs.sort()
        if folder.rstrip(os.sep).count(os.sep) - base >= depth:
            dirs[:] = []
        files += [os.path.join(folder, n) for n in sorted(names) if n.upper() != "DICOMDIR"]
    return files


def _source_name(vol):
    frames = vol.meta.get("frames") or []
    if not frames:
        return ""
    return os.path.basename(os.fspath(frames[0][0]))


def execute(jobs, options=None, *, threads=1):
    """Write every job's files; return the paths written, in job order."""
    options = options or Options()
    if threads > 1 and len(jobs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            done = list(pool.map(lambda job: write_job(job, options), jobs))
    else:
        done = [write_job(job, options) for job in jobs]
    return [path for paths in done for path in paths]


def write_job(job, options):
    """Write one series: image, sidecar, bval/bvec; return the paths written."""
    from .._atomic import atomic_path

    vol, base = job.volume, job.base
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    written = []
    if options.image:
        path = base + FORMATS[options.to]
        _write_image(vol, path, options.to)
        written.append(path)
    header = vol.meta.get("header")
    if options.sidecar and header is not None:
        from ..dicom.sidecar import build_sidecar, to_json

        path = base + ".json"
        text = to_json(build_sidecar(vol, header, anonymize=options.anonymize))
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    if options.image:
        written += _write_gradients(vol, base)
        from ..dicom.nifti_header import tilt_corrected

        # dcm2niix also writes the stack resampled to even spacing, and the gantry-tilt-corrected stack
        for suffix, extra in (("_Eq_1", equalize_slices(vol)), ("_Tilt_1", tilt_corrected(vol))):
            if extra is not None:
                path = base + suffix + FORMATS[options.to]
                _write_image(extra, path, options.to)
                written.append(path)
    job.written = written
    return written


def _slice_distances(vol):
    """Distance (mm, float32 as dcm2niix) of each slice of the first volume from the first slice."""
    import pydicom

    from ..dicom.sidecar import find_value

    nz = vol.stored.shape[2]
    positions, cache = [], {}
    for path, frame in (vol.meta.get("frames") or [])[:nz]:
        if path not in cache:
            cache[path] = pydicom.dcmread(path, stop_before_pixels=True)
        ipp = find_value(cache[path], "ImagePositionPatient", frame if vol.meta.get("enhanced") else None)
        positions.append([float(x) for x in ipp])
    pos = np.asarray(positions, dtype=np.float64)
    return np.sqrt(((pos - pos[0]) ** 2).sum(axis=1)).astype(np.float32)


def equalize_slices(vol):
    """dcm2niix's ``_Eq`` volume: an unevenly spaced 3-D stack linearly resampled to its smallest step.

    Returns None when the series is evenly spaced or not a 3-D 8/16-bit stack
    (what dcm2niix equalizes).
    """
    stored = vol.stored
    if not vol.meta.get("uneven_spacing") or stored.ndim != 3 or stored.dtype not in (np.uint8, np.int16):
        return None
    dist = _slice_distances(vol)
    steps = np.diff(dist)
    if len(dist) != stored.shape[2] or not (steps > 0).any():
        return None
    step = np.float32(steps[steps > 0].min())
    n = int(round(float(dist[-1] / step))) + 1
    if n > 2 * stored.shape[2]:
        n = 2 * stored.shape[2]
        step = np.float32(dist[-1] / (n - 1))
    if n < 3:
        return None
    out = np.empty(stored.shape[:2] + (n,), stored.dtype)
    for k in range(n):
        x = np.float32(k * step)
        hi = int(min(np.searchsorted(dist, x, side="left"), len(dist) - 1))
        lo = max(hi - 1, 0)
        if dist[hi] == dist[lo] or x > dist[hi]:
            out[..., k] = stored[..., hi]
        else:
            w = np.float32((x - dist[lo]) / (dist[hi] - dist[lo]))
            mix = stored[..., lo].astype(np.float32) * (np.float32(1) - w) + stored[..., hi].astype(np.float32) * w
            out[..., k] = np.round(mix)
    affine = vol.affine.copy()
    affine[:3, 2] *= float(step) / float(np.linalg.norm(affine[:3, 2]))
    from ..volume import Volume

    return Volume(out, affine, vol.meta, slope=vol.slope, inter=vol.inter)


def _write_image(vol, path, to):
    if to in ("nrrd", "mnc"):
        from .. import formats

        formats.write(vol, path)
        return
    import nibabel as nib

    from ..dicom.nifti_header import build_header

    header = build_header(vol)
    img = nib.Nifti1Image(vol.stored, None, header)
    img.header.set_slope_inter(vol.slope, vol.inter)  # nibabel clears scaling when it makes the image
    from ..formats.nifti import save_nifti

    save_nifti(img, path)


def _write_gradients(vol, base):
    from .._atomic import atomic_path
    from ..dicom.diffusion import bval_text, bvec_text, series_gradients

    cache = {}

    def read_header(path):
        if path not in cache:
            import pydicom

            cache[path] = pydicom.dcmread(path, stop_before_pixels=True)
        return cache[path]

    got = series_gradients(vol, read_header)
    if got is None:
        return []
    paths = []
    for ext, text in ((".bval", bval_text(got[0])), (".bvec", bvec_text(got[1]))):
        with atomic_path(base + ext) as tmp, open(tmp, "w") as f:
            f.write(text)
        paths.append(base + ext)
    return paths


def convert(sources, out_dir, *, to="nii.gz", template="%p_%s", sidecar=True, anonymize=True,
            conflict=2, ignore_derived=False, jobs=2, scheduler=None, report=None, dry_run=False):
    """Convert DICOM series to NIfTI (or NRRD, MINC2) with dcm2niix's names and sidecars.

    The Python face of ``medfast convert`` (``bulk.run``): series are
    converted as a stream, each output written atomically, and a manifest in
    ``out_dir`` lets a re-run skip what is done and finish the rest. A file or
    series that fails is recorded in the result's ``failures``; the others go on.

    Parameters
    ----------
    sources : path or list of paths
        DICOM folders, files, zip or tar archives.
    out_dir : path
        Output folder (created when missing).
    to : {"nii.gz", "nii", "nrrd", "mnc"}
        Output format.
    template : str
        dcm2niix's ``-f`` name template.
    sidecar, anonymize : bool
        Write the BIDS JSON sidecar; leave out patient identifiers.
    conflict : {0, 1, 2}
        dcm2niix's ``-w`` for a name another series or a foreign file holds:
        skip, overwrite, or add ``a``, ``b`` ... to the name.
    ignore_derived : bool
        dcm2niix's ``-i y``.
    jobs : int
        Series converted at once.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address: one task per series on its workers (``medfast[dask]``).
    report : path, optional
        Write an HTML report with a thumbnail of every series.
    dry_run : bool
        Name the outputs, write nothing.

    Returns
    -------
    medfast.convert.bulk.Summary
        The output paths (a list), with ``series``, ``failures``, ``warnings``
        and ``exit_code``.

    Examples
    --------
    >>> import tempfile, medfast
    >>> from medfast.synth import write_ct_series
    >>> src, out = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = write_ct_series(src, (32, 32, 8))
    >>> files = medfast.convert(src, out)
    >>> sorted(os.path.basename(f).split(".", 1)[1] for f in files), files.failures
    (['json', 'nii.gz'], [])
    """
    from .bulk import run

    options = Options(template=template, to=to, sidecar=sidecar, anonymize=anonymize, conflict=conflict,
                      ignore_derived=ignore_derived)
    return run(sources, out_dir, options, jobs=jobs, scheduler=scheduler, report=report, dry_run=dry_run)


class _CallableModule(types.ModuleType):
    """``medfast.convert`` names both this package and its function: calling the package converts."""

    def __call__(self, *args, **kwargs):
        return convert(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["FORMATS", "Job", "Options", "convert", "execute", "plan", "write_job"]
