"""Conversion engine: ``plan`` (read, group, name) then ``execute`` (write).

``medfast convert`` and ``medfast dcm2niix`` share it. ``plan`` reads the
sources with ``medfast.read_dicom`` and gives every series its output base
name from the ``-f`` template and dcm2niix's conflict rule; ``execute`` writes
each job (image, JSON sidecar, ``.bval``/``.bvec``), each file atomically,
with ``medfast.dcm2niix.writer.write_job``. A job is a plain record.
``convert`` and ``medfast convert`` run the bulk engine (``bulk``: a stream of
per-series tasks, resumable, local or on Dask), which writes each series with
the same ``write_job``.
"""
from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field

from ..dcm2niix.writer import EXTENSIONS as FORMATS
from ..errors import InvalidArgumentError


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
    merge: int = 2  # dcm2niix -m: 0 never, 1 always, 2 X-ray images only (medfast.dicom.grouping)
    merge_coils: bool = True  # False: dcm2niix -m o
    ignore_series_uid: bool = False  # True: an explicit -m 2
    gz_level: int = 6  # dcm2niix -1..-9: zlib-ng level of .nii.gz
    comment: str = None  # dcm2niix -c: NIfTI aux_file and sidecar ConversionComments ("\t": -c "", no comments)
    philips_precise: bool = True  # False: dcm2niix -p n (Philips display scaling)
    ignore_scale_variation: bool = False  # True: dcm2niix -p o (a varying slope/intercept keeps the first image's)
    omit_pii: bool = False  # True: dcm2niix -ba o (with anonymize False: patient identifiers left out, dates kept)
    keep_orientation_varies: bool = False  # True: dcm2niix -i o (a multi-frame file changing orientation converts)
    ignore_trigger_times: bool = False  # True: dcm2niix --ignore_trigger_times
    flip_y: bool = True  # False: dcm2niix -y n, rows in DICOM order (medfast.dcm2niix.orientation)
    rotate_3d: bool = True  # False: dcm2niix -x i, 3-D acquisitions not turned to the closest RAS+ axes
    crop: bool = False  # dcm2niix -x y: also a _Crop_1 copy of a turned 3-D acquisition (medfast.dcm2niix.crop)
    big_endian: bool = False  # dcm2niix --big-endian y: NIfTI header and voxels big-endian
    export: str = "n"  # dcm2niix -e: n NIfTI, y NRRD as dcm2niix writes it (medfast.dcm2niix.nrrd_export)

    def __post_init__(self):
        if self.to not in FORMATS:
            raise InvalidArgumentError(f"convert: output format {self.to!r} not one of {sorted(FORMATS)}")
        if self.conflict not in (0, 1, 2):
            raise InvalidArgumentError(f"convert: name-conflict behaviour {self.conflict!r} not 0, 1 or 2")
        if isinstance(self.gz_level, bool) or not isinstance(self.gz_level, int) or not 0 <= self.gz_level <= 9:
            raise InvalidArgumentError(f"convert: gzip level {self.gz_level!r} not 0 to 9")


@dataclass
class Job:
    """One output: a series and the base path (no extension) its files get."""

    volume: object
    base: str
    indir_parent: str = ""
    written: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # lines dcm2niix prints after the Convert line, said while writing
    failed: bool = False  # dcm2niix counts the series as failed though it wrote the image (-x y could not crop)


def _indir_parent(source):
    path = os.path.abspath(os.fspath(source))
    if os.path.isfile(path):
        path = os.path.dirname(path)
    return os.path.basename(path.rstrip(os.sep))


def plan(sources, out_dir, options=None, *, files=None, skipped=None, order=None):
    """Read the DICOM series under ``sources`` and name their outputs in ``out_dir``.

    Returns the list of ``Job`` in conversion order; a name already on disk
    (or planned earlier in the list) follows ``options.conflict``.

    ``files``: the files to read (default: those under ``sources``,
    ``options.depth`` levels down); ``sources`` still names the input folder
    (``%f``). ``skipped``: a list that receives ``(path, reason)`` for each
    file left out (see ``read_dicom``) instead of an error. ``order``: a
    function that puts the volumes in conversion order (default: the
    reader's), which decides the ``a``, ``b`` ... suffixes of colliding names.
    """
    from ..dcm2niix.naming import exists, format_name, name_fields, resolve_conflict
    from ..dicom import read_dicom

    options = options or Options()
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    planned = set()
    jobs = []
    for source in sources:
        parent = _indir_parent(source)
        found = files if files is not None else \
            _files_to_depth(source, options.depth) if options.depth is not None else source
        vols = read_dicom(found, ignore_derived=options.ignore_derived, skipped=skipped, merge=options.merge,
                          merge_coils=options.merge_coils, ignore_series_uid=options.ignore_series_uid,
                          philips_precise=options.philips_precise,
                          ignore_scale_variation=options.ignore_scale_variation,
                          keep_orientation_varies=options.keep_orientation_varies,
                          ignore_trigger_times=options.ignore_trigger_times)
        for vol in order(vols) if order is not None else vols:
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
    """Write every job's files, a job's files appearing together (``_atomic.together``); return the paths written."""
    options = options or Options()
    if threads > 1 and len(jobs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            done = list(pool.map(lambda job: _write_together(job, options), jobs))
    else:
        done = [_write_together(job, options) for job in jobs]
    return [path for paths in done for path in paths]


def _write_together(job, options):
    from .._atomic import together
    from ..dcm2niix.writer import write_job

    with together(os.path.dirname(os.path.abspath(job.base))):  # a kill leaves all or a journal to finish
        return write_job(job, options)


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

__all__ = ["FORMATS", "Job", "Options", "convert", "execute", "plan"]
