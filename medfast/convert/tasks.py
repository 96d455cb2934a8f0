"""What runs on a worker for one series or one file (a thread, or a Dask worker): read, write staged, describe.

``convert_series`` reads a DICOM series and writes its files with
``dcm2niix.writer.write_job``; ``convert_image`` reads a file of another
format and writes it with the format registry (``images``). Both write inside
``_atomic.staged()``: under ``.medfast-*.part`` names in ``OUT/.medfast-work``,
which only the engine's main thread gives final names. Errors are returned,
not raised, so that one series fails alone on any executor.
"""
from __future__ import annotations

import base64
import collections
import errno
import os
import sys

from .._atomic import staged
from ..errors import ConversionError, InvalidArgumentError, InvalidFileError, MedfastError

_MAX_BAD_FILES = 16  # a series with more unreadable files than this fails as a whole
_THUMB_HEIGHT = 96
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)



def options_dict(options):
    return {k: getattr(options, k) for k in options.__dataclass_fields__}


def safe_relpath(rel):
    """A relative output path built from DICOM values, made safe to join under the output folder.

    Path separators come only from the template; components ``.``, ``..`` and
    names starting with ``.`` (hidden, or the engine's own ``.medfast-`` files)
    get a ``_`` instead of the dot; control characters become ``_``; an empty
    name becomes dcm2niix's ``dcm2nii_invalidName``.

    Examples
    --------
    >>> safe_relpath("/etc/../passwd"), safe_relpath("a/./b\\x01c"), safe_relpath("")
    ('etc/_./passwd', 'a/_/b_c', 'dcm2nii_invalidName')
    """
    parts = []
    for part in rel.replace("\\", "/").split("/"):
        part = "".join("_" if ord(c) < 32 or c == "\x7f" else c for c in part)
        if not part:
            continue
        if part.startswith("."):
            part = "_" + part[1:]
        parts.append(part)
    return "/".join(parts) or "dcm2nii_invalidName"


def _no_space(err):
    while err is not None:
        if isinstance(err, OSError) and err.errno in _NO_SPACE:
            return True
        err = err.__cause__ or err.__context__
    return False


def failure_reason(err, names):
    """The error's text with extracted archive paths shown as ``archive!member``."""
    path = _named_file(err, names)
    if isinstance(err, OSError) and not isinstance(err, MedfastError):
        why = err.strerror or (os.strerror(errno.ENOENT) if isinstance(err, FileNotFoundError) else type(err).__name__)
        text = f"{err.filename or path or ''}: {why}"
    else:
        text = str(err) if isinstance(err, MedfastError) else f"{type(err).__name__}: {err}"
    return text if path is None else names[path] + text[len(path):]


def _named_file(err, names):
    if isinstance(err, OSError):
        for filename in (err.filename, *err.args[:1]):
            if isinstance(filename, str) and filename in names:
                return filename
    text = str(err)
    found = [p for p in names if text.startswith(p + ":")]
    return max(found, key=len) if found else None


def _read(task, names, failures):
    """The series' volumes; a file that breaks the read is dropped (and recorded) and the rest re-read."""
    from ..dicom import read_dicom

    left = [f.path for f in task.files]
    for _ in range(_MAX_BAD_FILES):
        try:
            return read_dicom(left, ignore_derived=task.options.ignore_derived, pixels=not task.dry_run)
        except (MedfastError, OSError) as err:  # a broken file, an unsupported one, one that vanished, EIO
            bad = _named_file(err, left)
            if bad is None:
                raise
            failures.append({"source": names[bad], "reason": failure_reason(err, names)})
            left.remove(bad)
            if not left:
                return []
    raise InvalidFileError(f"series {task.key}: more than {_MAX_BAD_FILES} unreadable files")


def _unread(files, volumes, names, failures):
    """Files of the series no volume used: one that cannot be read (EIO, vanished) is a failure, not a silent drop."""
    used = {os.fspath(path) for vol in volumes for path, _ in vol.meta.get("frames") or ()}
    failed = {failure["source"] for failure in failures}
    for f in files:
        if f.path not in used and f.name not in failed:
            try:
                with open(f.path, "rb") as fh:
                    fh.read(132)
            except OSError as err:
                failures.append({"source": f.name, "reason": failure_reason(err, names)})


def _check_unchanged(files):
    """A source that changed since the scan would give outputs the manifest does not describe: fail its series.

    (One that vanished was either read before, or is a failure of its own.)
    """
    for f in files:
        try:
            st = os.stat(f.path)
        except FileNotFoundError:
            continue
        if (st.st_size, st.st_mtime_ns) != (f.size, f.mtime_ns):
            raise InvalidFileError(f"{f.name}: changed while being converted (size or modification time); "
                                   "re-run to convert it as it is now")


def describe(vol, rel):
    """What the summary and the report show of an output volume."""
    zooms = vol.zooms
    return {"rel": rel, "shape": [int(n) for n in vol.shape], "spacing": [round(float(z), 6) for z in zooms],
            "dtype": str(vol.stored.dtype), "warnings": list((vol.meta or {}).get("warnings") or [])}


def _planned_suffixes(vol, options, to):
    """The files a DICOM series would get (``--dry-run``), by the rules ``dcm2niix.writer.write_job`` and
    ``dcm2niix.resample`` write them (their conditions, without resampling anything)."""
    import numpy as np

    from . import FORMATS

    ext = FORMATS[to]
    stored, meta = vol.stored, vol.meta
    suffixes = [ext] if options.image else []
    if options.sidecar and meta.get("header") is not None:
        suffixes.append(".json")
    if options.image:
        from ..dcm2niix.gradients import series_gradients
        from ..dicom.reader import header_of  # the headers the scan kept, as the writer reads them

        if series_gradients(vol, header_of) is not None:
            suffixes += [".bval", ".bvec"]
        if meta.get("uneven_spacing") and stored.ndim == 3 and stored.dtype in (np.uint8, np.int16):
            suffixes.append("_Eq_1" + ext)
        if meta.get("gantry_tilt") and stored.ndim == 3 and stored.shape[2] >= 3 and stored.dtype in (np.int16, np.float32):
            suffixes.append("_Tilt_1" + ext)
    return suffixes


def _stopped(task):
    """The run was interrupted (its work folder is gone): write nothing more."""
    return not os.path.isdir(os.path.dirname(task.work))


def convert_series(task):
    """Read one DICOM series and write its outputs under temporary names (``_atomic.staged``).

    Returns a dict: ``volumes`` (one a volume: ``rel`` name from the template,
    ``files`` as (suffix, temporary path), shape, spacing, dtype, warnings,
    ``png`` thumbnail in base64), ``failures`` (files dropped), ``error`` (the
    series failed) and ``no_space`` (it failed because the disk is full).
    Errors are returned, not raised, so that one series fails alone on any
    executor.
    """
    from ..dcm2niix.naming import format_name, name_fields
    from ..dcm2niix.writer import write_job
    from . import FORMATS, Job

    names = {f.path: f.name for f in task.files}
    result = {"index": task.index, "volumes": [], "failures": [], "error": None, "no_space": False}
    options = task.options
    try:
        if task.to not in FORMATS:
            raise InvalidArgumentError(f"DICOM series to --to {task.to}: not supported (use nrrd, nii.gz, nii or mnc)")
        with staged() as pairs:
            volumes = _read(task, names, result["failures"])
            _unread(task.files, volumes, names, result["failures"])
            for i, vol in enumerate(volumes):
                frames = vol.meta.get("frames") or []
                fields = name_fields(vol.meta.get("header") or {}, vol.meta, indir_parent=task.parent,
                                     source_name=os.path.basename(frames[0][0]) if frames else "")
                info = describe(vol, safe_relpath(format_name(options.template, fields,
                                                              add_postfixes=options.add_postfixes)))
                info["files"] = []
                if task.dry_run:
                    info["files"] = [(suffix, None) for suffix in _planned_suffixes(vol, options, task.to)]
                else:
                    if _stopped(task):
                        raise ConversionError("the run was stopped")
                    base = f"{task.work}-v{i}"
                    start = len(pairs)
                    write_job(Job(vol, base, task.parent), options)
                    info["files"] = [(final[len(base):], tmp) for tmp, final in pairs[start:]]
                    if task.thumbnails:
                        info["png"] = _thumbnail(vol)
                result["volumes"].append(info)
            if not task.dry_run:
                _check_unchanged(task.files)
    except Exception as err:  # noqa: BLE001 - whatever breaks one series must not stop the archive
        result.update(volumes=[], error=failure_reason(err, names), no_space=_no_space(err))
    result["peak_rss"] = peak_rss()
    return result


def peak_rss():
    """The most memory this process has held (resident bytes; 0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def convert_image(task):
    """Read one file of another format (``images``) and write it in the ``--to`` format, staged; as ``convert_series``."""
    from . import images

    [f] = task.files
    result = {"index": task.index, "volumes": [], "failures": [], "error": None, "no_space": False}
    try:
        suffixes = images.outputs(task.to)
        if task.dry_run:
            info = {"rel": task.rel, "files": [(s, None) for s in suffixes], "shape": [], "spacing": [], "dtype": "",
                    "warnings": []}
        else:
            if _stopped(task):
                raise ConversionError("the run was stopped")
            os.makedirs(task.work, exist_ok=True)
            base = os.path.join(task.work, os.path.basename(task.rel))  # .nhdr names its data file: final stem
            with staged() as pairs:
                vol = images.convert_file(f.path, base, task.to)
                _check_unchanged(task.files)
            info = describe(vol, task.rel)
            info["files"] = [(final[len(base):], tmp) for tmp, final in pairs]
            if task.thumbnails:
                info["png"] = _thumbnail(vol)
        result["volumes"].append(info)
    except Exception as err:  # noqa: BLE001 - as for a series
        result.update(error=failure_reason(err, {f.path: f.name}), no_space=_no_space(err))
    result["peak_rss"] = peak_rss()
    return result


def _thumbnail(vol):
    from ..preview import encode_png, render

    return base64.b64encode(encode_png(render(vol.array, vol.affine, _THUMB_HEIGHT))).decode("ascii")


class SeriesTask(collections.namedtuple(
        "SeriesTask", "index key series files parent options work thumbnails dry_run to rel", defaults=("",))):
    """What a worker needs for one series or file: its ``File`` records and the options (picklable)."""
