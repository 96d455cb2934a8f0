"""Bulk conversion of whole archives, as a stream: walk, scan, group, convert, rename.

The main thread walks the sources one folder at a time (``sources.units``)
and scans headers in a thread pool (the Cython scanner), keeping a small
``File`` tuple and the SeriesInstanceUID per file. A series is closed when the
walk has finished a folder that did not add to it (a flat folder closes at its
end, a folder a series closes one folder later) and goes to the executor as
one task: threads here, one ``dask.distributed`` task per series with
``--scheduler``. The task (``convert_series``) reads the series and writes its
files under temporary names in ``OUT/.medfast-work``; only the main thread,
taking results in the order series were closed, gives outputs their final
names (dcm2niix's ``-f`` template and conflict rule), so names and bytes do
not depend on thread timing, on the executor, or on earlier interrupted runs.

Each rename is preceded by a manifest record naming the files the series owns
and followed by one marking it done (``manifest.Manifest``): a re-run skips
done series and redoes the rest under the same names; a file in the output
folder never carries a final name before it is complete. A file or a series
that fails fails alone: it goes into the summary with its reason. Disk full
stops the run with nothing partial left.
"""
from __future__ import annotations

import base64
import collections
import errno
import os
import shutil
import sys
import time

from ..errors import ConversionError, InvalidArgumentError, InvalidFileError, MedfastError
from .manifest import Manifest, series_key
from .sources import Limits, units

WORK = ".medfast-work"
_SCAN_TAGS = ("SeriesInstanceUID", "SeriesNumber", "Rows")
_SCAN_CHUNK = 256
_MAX_BAD_FILES = 16  # a series with more unreadable files than this fails as a whole
_THUMB_HEIGHT = 96
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class Summary(list):
    """The output paths of a run (converted and already-done series), in order, with what happened.

    Attributes: ``series`` (one dict an output volume: ``status`` converted,
    skipped (done by an earlier run) or planned (``--dry-run``), ``outputs``,
    ``sources``, ``shape``, ``spacing``, ``dtype``, ``warnings``, ``png``),
    ``failures`` (dicts with ``source`` and ``reason``), ``files`` scanned,
    ``not_dicom`` files skipped, ``seconds``, ``exit_code`` (0 all converted, 1
    something failed).
    """

    def __init__(self, out_dir, dry_run=False):
        super().__init__()
        self.out_dir, self.dry_run = out_dir, dry_run
        self.series, self.failures, self.warnings = [], [], []
        self.files = self.not_dicom = 0
        self.seconds = 0.0

    @property
    def exit_code(self):
        return 1 if self.failures else 0

    def to_dict(self):
        """What ``--json`` prints (thumbnails left out)."""
        counts = collections.Counter(s["status"] for s in self.series)
        return {
            "out_dir": self.out_dir, "dry_run": self.dry_run, "exit_code": self.exit_code,
            "files_scanned": self.files, "not_dicom": self.not_dicom, "seconds": round(self.seconds, 3),
            "converted": counts["converted"], "skipped": counts["skipped"], "planned": counts["planned"],
            "failed": len(self.failures),
            "series": [{k: v for k, v in s.items() if k != "png"} for s in self.series],
            "failures": self.failures, "warnings": self.warnings,
        }


# ---- the task run for each series (a worker thread or a Dask worker) --------------------------------


def _options_dict(options):
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


def _reason(err, names):
    """The error's text with extracted archive paths shown as ``archive!member``."""
    text = str(err) if isinstance(err, MedfastError) else f"{type(err).__name__}: {err}"
    path = _named_file(err, names)
    return text if path is None else names[path] + text[len(path):]


def _named_file(err, names):
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
        except InvalidFileError as err:
            bad = _named_file(err, left)
            if bad is None:
                raise
            failures.append({"source": names[bad], "reason": _reason(err, names)})
            left.remove(bad)
            if not left:
                return []
    raise InvalidFileError(f"series {task.key}: more than {_MAX_BAD_FILES} unreadable files")


def _describe(vol, rel):
    import numpy as np

    zooms = np.sqrt((np.asarray(vol.affine)[:3, :3] ** 2).sum(axis=0))
    return {"rel": rel, "shape": [int(n) for n in vol.shape], "spacing": [round(float(z), 6) for z in zooms],
            "dtype": str(vol.stored.dtype), "warnings": list(vol.meta.get("warnings") or [])}


def convert_series(task):
    """Read one series and write its outputs under temporary names ``task.work``-v0... .

    Returns a dict: ``volumes`` (one a volume: ``rel`` name from the template,
    ``files`` as (suffix, temporary path), shape, spacing, dtype, warnings,
    ``png`` thumbnail in base64), ``failures`` (files dropped), ``error`` (the
    series failed) and ``no_space`` (it failed because the disk is full).
    Errors are returned, not raised, so that one series fails alone on any
    executor.
    """
    from ..dcm2niix.naming import format_name, name_fields
    from ..dcm2niix.writer import write_job
    from . import Job

    names = {f.path: f.name for f in task.files}
    result = {"index": task.index, "volumes": [], "failures": [], "error": None, "no_space": False}
    options = task.options
    try:
        for i, vol in enumerate(_read(task, names, result["failures"])):
            frames = vol.meta.get("frames") or []
            fields = name_fields(vol.meta.get("header") or {}, vol.meta, indir_parent=task.parent,
                                 source_name=os.path.basename(frames[0][0]) if frames else "")
            info = _describe(vol, safe_relpath(format_name(options.template, fields,
                                                           add_postfixes=options.add_postfixes)))
            info["files"] = []
            if not task.dry_run:
                base = f"{task.work}-v{i}"
                info["files"] = [(path[len(base):], path) for path in write_job(Job(vol, base, task.parent), options)]
                if task.thumbnails:
                    from ..preview import encode_png, render

                    png = encode_png(render(vol.array, vol.affine, _THUMB_HEIGHT))
                    info["png"] = base64.b64encode(png).decode("ascii")
            result["volumes"].append(info)
    except Exception as err:  # noqa: BLE001 - whatever breaks one series must not stop the archive
        _remove_prefixed(task.work)
        result.update(volumes=[], error=_reason(err, names), no_space=_no_space(err))
    return result


def _remove_prefixed(prefix):
    """Remove the temporary files of a failed series (``prefix-v0.nii.gz`` ...)."""
    folder, stem = os.path.split(prefix)
    for entry in os.scandir(folder):
        if entry.name.startswith(stem + "-"):
            os.unlink(entry.path)


class SeriesTask(collections.namedtuple("SeriesTask", "index key series files parent options work thumbnails dry_run")):
    """What a worker needs for one series: its ``File`` records and the options (picklable)."""


# ---- the stream -----------------------------------------------------------------------------------------


def _scan_chunk(files):
    """``(File, series key, series number, failure reason or None, is DICOM)`` for each file."""
    from ..dicom.scan import scan

    out = []
    for f in files:
        try:
            values = scan(f.path, _SCAN_TAGS).values
        except (InvalidFileError, OSError) as err:
            dicom = _has_preamble(f.path)
            out.append((f, None, 0, _reason(err, {f.path: f.name}) if dicom else None, dicom))
            continue
        uid = values.get("SeriesInstanceUID")
        number = values.get("SeriesNumber")
        if not uid and not values.get("Rows"):  # neither a series nor an image: a broken or foreign file
            dicom = _has_preamble(f.path)
            out.append((f, None, 0, f"{f.name}: SeriesInstanceUID and Rows missing: not a DICOM image" if dicom else None,
                        dicom))
            continue
        key = str(uid) if uid else "dir:" + os.path.dirname(f.path)
        out.append((f, key, number if isinstance(number, int) else 0, None, True))
    return out


def _has_preamble(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(132)[128:132] == b"DICM"
    except OSError:
        return False


class _OpenSeries:
    __slots__ = ("files", "parent", "number", "unit", "order")

    def __init__(self, parent, number, unit, order):
        self.files, self.parent, self.number, self.unit, self.order = [], parent, number, unit, order


class _Engine:
    def __init__(self, out_dir, options, executor, manifest, work, summary, progress, thumbnails):
        self.out_dir, self.options, self.executor = out_dir, options, executor
        self.manifest, self.work, self.summary, self.progress = manifest, work, summary, progress
        self.thumbnails = thumbnails
        self.options_key = _options_dict(options)
        self.open = {}
        self.pending = collections.deque()
        self.planned = set()
        self.closed = 0
        self.converted = set()  # (source, series) keys already closed: a late file is worth a warning
        self.done = 0
        self.volumes = 0  # found, whether written, skipped as done, or dropped by -w 0
        self.bytes_seen = self.bytes_done = 0
        self.walked = False
        self.extensions = sorted({".nii", ".nii.gz", ".nrrd", ".nhdr", ".mnc"})

    # walking and scanning (main thread)
    def run(self, sources, limits, scan_pool):
        exclude = [self.out_dir]
        for unit_no, unit in enumerate(units(sources, os.path.join(self.work, "extract"), limits, exclude)):
            if unit.error:
                self.summary.failures.append({"source": os.fspath(sources[unit.source]), "reason": unit.error})
            chunks = [unit.files[i:i + _SCAN_CHUNK] for i in range(0, len(unit.files), _SCAN_CHUNK)]
            for scanned in scan_pool.map(_scan_chunk, chunks):
                for f, key, number, failure, dicom in scanned:
                    self.summary.files += 1
                    if key is None:
                        if failure:
                            self.summary.failures.append({"source": f.name, "reason": failure})
                        else:
                            self.summary.not_dicom += 1
                        continue
                    series = self.open.get((unit.source, key))
                    if series is None and (unit.source, key) in self.converted:
                        self.summary.warnings.append(
                            f"{os.path.dirname(f.name)}: more files of series {key} after the walk had closed it: "
                            "converted as a separate series (keep a series' files in one folder, or together)")
                        self.converted.discard((unit.source, key))  # one warning a split
                    if series is None:
                        series = self.open[(unit.source, key)] = _OpenSeries(unit.parent, number, unit_no, len(self.open))
                    series.files.append(f)
                    series.unit = unit_no
                    self.bytes_seen += f.size
                self._drain()
            self._close([k for k, s in self.open.items() if s.unit != unit_no])
        self._close(list(self.open))
        self.walked = True
        self._drain(wait=True)
        if not self.volumes and not self.summary.failures:
            self.summary.failures.append({"source": ", ".join(map(os.fspath, sources)),
                                          "reason": "no DICOM image series found"})

    def _close(self, keys):
        """Hand closed series to the executor, by series number (dcm2niix's order) then first appearance."""
        for key in sorted(keys, key=lambda k: (self.open[k].number, self.open[k].order)):
            series = self.open.pop(key)
            self.converted.add(key)
            files = tuple(series.files)
            skey = series_key(files, self.options_key)
            record = None if self.summary.dry_run else self.manifest.done(skey)
            if record is not None:
                self.pending.append((record, files, None))
                continue
            task = SeriesTask(self.closed, skey, key[1], files, series.parent, self.options,
                              os.path.join(self.work, f"s{self.closed:06d}"), self.thumbnails, self.summary.dry_run)
            self.closed += 1
            self.pending.append((task, files, self.executor.submit(convert_series, task)))

    # results, in the order series were closed
    def _drain(self, wait=False):
        while self.pending and (wait or self.pending[0][2] is None or self.pending[0][2].done()):
            item, files, future = self.pending.popleft()
            if future is None:
                self._skipped(item)
            else:
                try:
                    result = future.result()
                except Exception as err:  # noqa: BLE001 - a lost worker fails its series only
                    result = {"volumes": [], "failures": [], "error": f"{type(err).__name__}: {err}",
                              "no_space": False}
                self._finish(item, files, result)
            self.done += 1
            self.bytes_done += sum(f.size for f in files)
            self._show()
        self._show()

    def _show(self, force=False):
        self.progress.update(force=force, files=self.summary.files, series=self.done + len(self.pending),
                             done=self.done, bytes_seen=self.bytes_seen, bytes_done=self.bytes_done,
                             walked=self.walked, failed=len(self.summary.failures))

    def _abs(self, rel):
        return os.path.join(self.out_dir, rel)

    def _taken(self, base, series):
        """dcm2niix's test, except that files an earlier run wrote for this same series are not a conflict."""
        if base in self.planned:
            return True
        for ext in self.extensions:
            path = base + ext
            if os.path.exists(path) and self.manifest.owner.get(path) != series:
                return True
        return False

    def _skipped(self, record):
        self.planned.update(self._abs(b) for b in record["bases"])
        self.volumes += len(record["bases"])
        for vol in record.get("volumes", ()):
            self.summary.series.append(dict(vol, status="skipped", sources=len(record["sources"])))
        self.summary.extend(self._abs(rel) for rel, _ in record["outputs"])

    def _finish(self, task, files, result):
        from ..dcm2niix.naming import resolve_conflict

        self.summary.failures += result["failures"]
        if result["error"]:
            self.summary.failures.append({"source": _series_name(files), "reason": result["error"]})
            if result["no_space"]:
                raise ConversionError(f"{self.out_dir}: disk full: {result['error']}")
            return
        renames, bases, described = [], [], []
        self.volumes += len(result["volumes"])
        for vol in result["volumes"]:
            base = resolve_conflict(self._abs(vol["rel"]), lambda b: self._taken(b, task.series), self.options.conflict)
            if base is None:  # -w 0: the name is taken, skip the series as dcm2niix does
                continue
            self.planned.add(base)
            bases.append(base)
            targets = [base + suffix for suffix, _ in vol["files"]]
            if task.dry_run:
                from . import FORMATS

                targets = [base + FORMATS[self.options.to]]
            renames += [(tmp, target) for (_, tmp), target in zip(vol["files"], targets)]
            described.append(dict(vol, outputs=[os.path.relpath(t, self.out_dir) for t in targets],
                                  status="planned" if task.dry_run else "converted", sources=len(files)))
        if not task.dry_run and not self._rename(task, files, bases, renames, described):
            return
        for vol in described:
            vol.pop("files", None)
            self.summary.series.append(vol)
        self.summary.extend(self._abs(rel) for vol in described for rel in vol["outputs"])

    def _rename(self, task, files, bases, renames, described):
        rel = [os.path.relpath(t, self.out_dir) for _, t in renames]
        self.manifest.append({"status": "renaming", "key": task.key, "series": task.series,
                              "bases": [os.path.relpath(b, self.out_dir) for b in bases], "outputs": rel})
        try:
            sizes = []
            for tmp, target in renames:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(tmp, target)
                sizes.append(os.path.getsize(target))
        except OSError as err:
            if _no_space(err):
                raise ConversionError(f"{target}: disk full: {err}") from err
            self.summary.failures.append({"source": _series_name(files), "reason": f"{target}: cannot rename into place: {err}"})
            return False
        volumes = [{k: v for k, v in vol.items() if k not in ("files", "png", "status", "rel")} for vol in described]
        self.manifest.append({"status": "done", "key": task.key, "series": task.series, "sources": [f.name for f in files],
                              "bases": [os.path.relpath(b, self.out_dir) for b in bases],
                              "outputs": [[r, s] for r, s in zip(rel, sizes)], "volumes": volumes})
        return True


def _series_name(files):
    """A failed series as the report shows it: its folder and file count."""
    first = files[0].name
    return f"{os.path.dirname(first) or first} ({len(files)} files)"


def _local_executor(jobs):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max(1, int(jobs)), thread_name_prefix="medfast-series")


def run(sources, out_dir, options=None, *, jobs=2, scheduler=None, report=None, dry_run=False,
        thumbnails=None, progress=None, limits=Limits()):
    """Convert every series under ``sources`` into ``out_dir``, as a stream; resume what an earlier run left.

    Parameters
    ----------
    sources : path or list of paths
        DICOM folders (walked recursively), files, zip or tar archives.
    out_dir : path
        Output folder (created when missing); it holds the manifest.
    options : Options
        Format, ``-f`` template, sidecar, conflict rule (``medfast.convert.Options``).
    jobs : int
        Series converted at once on this machine.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address: one task per series on its workers.
    report : path, optional
        Write the HTML report there (thumbnails are then drawn).
    dry_run : bool
        Scan and name the outputs, write nothing.
    thumbnails : bool, optional
        Draw thumbnails into ``Summary.series`` (default: when ``report`` is given).
    progress : Progress, optional
        Default: a bar on stderr when it is a terminal.
    limits : sources.Limits
        Bounds on each archive's members and decompressed bytes.

    Returns
    -------
    Summary
        The output paths, with ``series``, ``failures``, ``warnings`` and ``exit_code``.

    Raises
    ------
    InvalidArgumentError
        A missing source, a bad option, an unreachable scheduler.
    ConversionError
        The disk is full (nothing partial is left), or another run holds the folder.

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> src, out = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = write_ct_series(src, (16, 16, 4))
    >>> summary = run(src, out)
    >>> summary.exit_code, [s["outputs"] for s in summary.series]
    (0, [['CT_head_phantom_2.nii.gz', 'CT_head_phantom_2.json']])
    >>> [s["status"] for s in run(src, out).series]  # a re-run skips what is done
    ['skipped']
    """
    from . import Options
    from .progress import Progress

    options = options or Options()
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not sources:
        raise InvalidArgumentError("convert: no source given")
    for s in sources:
        if not os.path.exists(s):
            raise InvalidArgumentError(f"convert: {os.fspath(s)}: no such file or folder")
    out_dir = os.path.abspath(os.fspath(out_dir))
    os.makedirs(out_dir, exist_ok=True)
    summary = Summary(out_dir, dry_run)
    progress = progress or Progress()
    start = time.monotonic()
    manifest = Manifest(out_dir, lock=not dry_run)  # taken first: it locks the folder
    if dry_run:  # beside a run that may be writing: a private work folder
        import tempfile

        work = tempfile.mkdtemp(prefix=WORK + "-dry-", dir=out_dir)
    else:
        work = os.path.join(out_dir, WORK)
        shutil.rmtree(work, ignore_errors=True)  # what a killed run left: never final names
        os.makedirs(work)
    try:
        if scheduler:
            from .distributed import executor
        else:
            executor = _local_executor
        pool = executor(scheduler or jobs)
        engine = _Engine(out_dir, options, pool, manifest, work, summary, progress,
                         bool(report) if thumbnails is None else thumbnails)
        from concurrent.futures import ThreadPoolExecutor

        try:
            with ThreadPoolExecutor(min(4, os.cpu_count() or 1), thread_name_prefix="medfast-scan") as scan_pool:
                engine.run(sources, limits, scan_pool)
        finally:
            pool.shutdown(cancel_futures=True)
            engine._show(force=True)
            progress.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        manifest.close()
    summary.seconds = time.monotonic() - start
    if report:
        from .report import write_report

        write_report(summary, report)
    return summary


# ---- command line -------------------------------------------------------------------------------


def _parser():
    import argparse

    p = argparse.ArgumentParser(
        prog="medfast convert",
        description="Convert DICOM folders, files, zip and tar archives to NIfTI, NRRD or MINC2 with dcm2niix's "
                    "names; re-running finishes an interrupted run.")
    p.add_argument("sources", nargs="+", help="DICOM folders, files, zip or tar archives")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--to", default="nii.gz", choices=["nii.gz", "nii", "nrrd", "mnc"], help="output format")
    p.add_argument("-f", "--template", default="%p_%s", help="dcm2niix -f name template (default %%p_%%s)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="series converted at once (default 2)")
    p.add_argument("--scheduler", help="dask.distributed scheduler address, e.g. tcp://host:8786")
    p.add_argument("--report", help="write an HTML report with a thumbnail of every series")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--dry-run", action="store_true", help="scan and name the outputs; write nothing")
    p.add_argument("--no-sidecar", action="store_true", help="do not write the BIDS JSON sidecar")
    return p


def main(argv=None):
    """Run ``medfast convert``; return the exit status (0 all converted, 1 failures, 2 usage errors).

    Examples
    --------
    >>> main(["/nonexistent/in", "-o", "/tmp/out"])
    2
    """
    import json

    from . import Options

    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        options = Options(template=args.template, to=args.to, sidecar=not args.no_sidecar)
        summary = run(args.sources, args.out, options, jobs=max(1, args.jobs), scheduler=args.scheduler,
                      report=args.report, dry_run=args.dry_run)
    except InvalidArgumentError as err:
        print(f"medfast convert: {err}", file=sys.stderr)
        return 2
    except MedfastError as err:
        print(f"medfast convert: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary.to_dict(), indent=1))
    else:
        for path in summary:
            print(path)
    for failure in summary.failures:
        print(f"medfast convert: failed: {failure['source']}: {failure['reason']}", file=sys.stderr)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
