"""Bulk conversion of whole archives, as a stream: walk, scan, group, convert, commit.

The main thread walks the sources one folder at a time (``sources.units``)
and scans headers in a thread pool (the Cython scanner), keeping a small
``File`` tuple and the SeriesInstanceUID per file. A series is closed when the
walk has finished a folder that did not add to it (a flat folder closes at its
end, a folder a series closes one folder later) and goes to the executor as
one task: threads here, one ``dask.distributed`` task per series with
``--scheduler``. A file of another format the registry reads (NIfTI, Analyze,
NRRD, MINC, PAR/REC: ``images``) is a task of its own.

A task (``tasks``) reads its sources and writes its files inside ``_atomic.staged()``:
under ``.medfast-*.part`` names in ``OUT/.medfast-work``, never an output's
extension. Only the main thread, taking results in the order series were
closed, gives them their final names (dcm2niix's ``-f`` template and conflict
rule) with one ``_atomic.commit`` a series, so names and bytes do not depend
on thread timing, on the executor, or on earlier interrupted runs, and a
series' files appear together (a commit a kill cuts is finished by the next
run's ``_atomic.recover``).

Each commit is preceded by a manifest record naming the files the series owns
and followed by one marking it done (``manifest.Manifest``): a re-run skips
done series and redoes the rest under the same names. A file or a series that
fails fails alone: it goes into the summary with its reason. Disk full and an
output folder that cannot be written stop the run with nothing partial left.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import secrets
import shutil
import tempfile
import time

from .. import exitcodes
from .._atomic import DiskFullError, NotWritableError, commit, lock_folder, not_writable, recover, stop_writing
from ..errors import ConversionError, InvalidArgumentError, MedfastError
from .manifest import Manifest, series_key
from .sources import Limits, units
from .tasks import SeriesTask, convert_image, convert_series, failure_reason, options_dict, safe_relpath

WORK = ".medfast-work"
_SCAN_TAGS = ("SeriesInstanceUID", "SeriesNumber", "Rows")
_SCAN_CHUNK = 256


class Summary(list):
    """The output paths of a run (converted and already-done series), in order, with what happened.

    Attributes: ``series`` (one dict an output volume: ``status`` converted,
    skipped (done by an earlier run) or planned (``--dry-run``), ``outputs``,
    ``sources``, ``shape``, ``spacing``, ``dtype``, ``warnings``, ``png``),
    ``failures`` (dicts with ``source`` and ``reason``), ``files`` scanned,
    ``not_dicom`` files neither DICOM nor a format medfast reads, ``seconds``,
    ``peak_rss`` (bytes: the most a process converting series held),
    ``exit_code`` (``medfast.exitcodes``: 0 all done, 8 some failed, 2 nothing
    converted).
    """

    def __init__(self, out_dir, dry_run=False):
        super().__init__()
        self.out_dir, self.dry_run = out_dir, dry_run
        self.series, self.failures, self.warnings = [], [], []
        self.files = self.not_dicom = 0
        self.seconds = 0.0
        self.peak_rss = 0  # the most memory a process converting series held (bytes): this one or a worker

    def counts(self):
        return collections.Counter(s["status"] for s in self.series)

    @property
    def exit_code(self):
        if not self.failures:
            return exitcodes.OK
        return exitcodes.SOME_FAILED if self.series else exitcodes.NO_VALID_FILES

    def line(self):
        """The closing line: what was converted, skipped, planned and failed, and the time.

        Examples
        --------
        >>> s = Summary("out"); s.series.append({"status": "converted"}); s.seconds = 2.25
        >>> s.line()
        'medfast convert: 1 converted, 0 skipped, 0 failed in 2.2 s'
        """
        counts = self.counts()
        done = f"{counts['planned']} planned" if self.dry_run else f"{counts['converted']} converted"
        text = f"medfast convert: {done}, {counts['skipped']} skipped, {len(self.failures)} failed in {self.seconds:.1f} s"
        return text + " (dry run: nothing written)" if self.dry_run else text

    def to_dict(self):
        """What ``--json`` prints (thumbnails left out)."""
        counts = self.counts()
        return {
            "out_dir": self.out_dir, "dry_run": self.dry_run, "exit_code": self.exit_code,
            "files_scanned": self.files, "not_dicom": self.not_dicom, "seconds": round(self.seconds, 3),
            "peak_rss_bytes": self.peak_rss,
            "converted": counts["converted"], "skipped": counts["skipped"], "planned": counts["planned"],
            "failed": len(self.failures),
            "series": [{k: v for k, v in s.items() if k != "png"} for s in self.series],
            "failures": self.failures, "warnings": self.warnings,
        }


# ---- the stream -----------------------------------------------------------------------------------------


def _scan_chunk(files):
    """``(File, series key, series number, failure reason or None, kind)`` for each file.

    ``kind``: ``dicom``, ``image`` (a format the registry reads: the key is its
    format), or None (neither: skipped).
    """
    from ..dicom.scan import scan
    from . import images

    out = []
    for f in files:
        try:
            values = scan(f.path, _SCAN_TAGS).values
        except (MedfastError, OSError) as err:  # UnsupportedError too: that file fails, not the run
            values, failure = None, err
        else:
            failure = None
            if not values.get("SeriesInstanceUID") and not values.get("Rows"):  # a broken or foreign file
                failure = f"{f.name}: SeriesInstanceUID and Rows missing: not a DICOM image"
        if failure is not None:
            if _has_preamble(f.path):
                out.append((f, None, 0, failure if isinstance(failure, str) else failure_reason(failure, {f.path: f.name}), "dicom"))
                continue
            try:
                fmt = images.detect(f.path)
            except OSError as err:
                out.append((f, None, 0, failure_reason(err, {f.path: f.name}), None))
                continue
            out.append((f, fmt, 0, None, "image" if fmt else None))
            continue
        uid, number = values.get("SeriesInstanceUID"), values.get("SeriesNumber")
        key = str(uid) if uid else "dir:" + os.path.dirname(f.path)
        out.append((f, key, number if isinstance(number, int) else 0, None, "dicom"))
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
    def __init__(self, out_dir, options, to, executor, manifest, work, summary, progress, thumbnails):
        self.out_dir, self.options, self.to, self.executor = out_dir, options, to, executor
        self.manifest, self.work, self.summary, self.progress = manifest, work, summary, progress
        self.thumbnails = thumbnails
        self.options_key = dict(options_dict(options), to=to)
        self.open = {}
        self.pending = collections.deque()
        self.planned = set()
        self.closed = 0
        self.converted = set()  # (source, series) keys already closed: a late file is worth a warning
        self.done = self.files_done = 0
        self.volumes = 0  # found, whether written, skipped as done, or dropped by -w 0
        self.bytes_seen = self.bytes_done = 0
        self.walked = False
        self.extensions = sorted({".nii", ".nii.gz", ".nrrd", ".nhdr", ".mnc"})

    # walking and scanning (main thread)
    def run(self, sources, extract_dir, limits, scan_pool):
        exclude = [self.out_dir]
        for unit_no, unit in enumerate(units(sources, extract_dir, limits, exclude)):
            if unit.error:
                self.summary.failures.append({"source": os.fspath(sources[unit.source]), "reason": unit.error})
            chunks = [unit.files[i:i + _SCAN_CHUNK] for i in range(0, len(unit.files), _SCAN_CHUNK)]
            for scanned in scan_pool.map(_scan_chunk, chunks):
                for f, key, number, failure, kind in scanned:
                    self.summary.files += 1
                    if key is None:
                        if failure:
                            self.summary.failures.append({"source": f.name, "reason": failure})
                        else:
                            self.summary.not_dicom += 1
                        continue
                    self.bytes_seen += f.size
                    if kind == "image":
                        self._submit_image(f)
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
                self._drain()
            self._close([k for k, s in self.open.items() if s.unit != unit_no])
        self._close(list(self.open))
        self.walked = True
        self._drain(wait=True)
        if not self.volumes and not self.summary.failures:
            self.summary.failures.append({"source": ", ".join(map(os.fspath, sources)),
                                          "reason": "no DICOM series and no image file medfast reads found"})

    def _skip_if_done(self, skey, files):
        record = self.manifest.done(skey)
        if record is not None:
            self.pending.append((record, files, None))
        return record is not None

    def _submit(self, fn, skey, series, files, parent, rel=""):
        task = SeriesTask(self.closed, skey, series, files, parent, self.options,
                          os.path.join(self.work, f"s{self.closed:06d}"), self.thumbnails, self.summary.dry_run,
                          self.to, rel)
        self.closed += 1
        self.pending.append((task, files, self.executor.submit(fn, task)))

    def _submit_image(self, f):
        """A file of another format: named now (its name does not depend on its content), converted alone."""
        from ..dcm2niix.naming import resolve_conflict
        from . import images

        files = (f,)
        skey = series_key(files, self.options_key)
        if self._skip_if_done(skey, files):
            return
        rel = safe_relpath(images.stem(images.relative_name(f)))
        owner = "file:" + rel
        base = resolve_conflict(self._abs(rel), lambda b: self._taken(b, owner), self.options.conflict)
        self.volumes += 1
        if base is None:  # -w 0
            return
        self.planned.add(base)  # the worker writes with the final stem: a .nhdr names its data file
        self._submit(convert_image, skey, owner, files, "", os.path.relpath(base, self.out_dir))

    def _close(self, keys):
        """Hand closed series to the executor, by series number (dcm2niix's order) then first appearance."""
        for key in sorted(keys, key=lambda k: (self.open[k].number, self.open[k].order)):
            series = self.open.pop(key)
            self.converted.add(key)
            files = tuple(series.files)
            skey = series_key(files, self.options_key)
            if not self._skip_if_done(skey, files):
                self._submit(convert_series, skey, key[1], files, series.parent)

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
            self.files_done += len(files)
            self.bytes_done += sum(f.size for f in files)
            self.show()
        self.show()

    def show(self, force=False):
        self.progress.update(force=force, files=self.summary.files, files_done=self.files_done,
                             series=self.done + len(self.pending), done=self.done, bytes_seen=self.bytes_seen,
                             bytes_done=self.bytes_done, walked=self.walked, failed=len(self.summary.failures))

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
        self.summary.peak_rss = max(self.summary.peak_rss, result.get("peak_rss", 0))
        if result["error"]:
            self.summary.failures.append({"source": _series_name(files), "reason": result["error"]})
            if result["no_space"]:
                raise DiskFullError(f"{self.out_dir}: disk full: {result['error']}")
            return
        renames, bases, described = [], [], []
        if task.rel:  # an image file, named when submitted
            bases = [self._abs(task.rel)]
        else:
            self.volumes += len(result["volumes"])
            bases = [resolve_conflict(self._abs(vol["rel"]), lambda b: self._taken(b, task.series), self.options.conflict)
                     for vol in result["volumes"]]
        kept = []
        for vol, base in zip(result["volumes"], bases):
            if base is None:  # -w 0: the name is taken, skip the series as dcm2niix does
                continue
            self.planned.add(base)
            kept.append(base)
            targets = [base + suffix for suffix, _ in vol["files"]]
            renames += [(tmp, target) for (_, tmp), target in zip(vol["files"], targets)]
            described.append(dict(vol, outputs=[os.path.relpath(t, self.out_dir) for t in targets],
                                  status="planned" if task.dry_run else "converted", sources=len(files)))
        if not task.dry_run and not self._commit(task, files, kept, renames, described):
            return
        for vol in described:
            vol.pop("files", None)
            self.summary.series.append(vol)
        self.summary.extend(self._abs(rel) for vol in described for rel in vol["outputs"])

    def _commit(self, task, files, bases, renames, described):
        rel = [os.path.relpath(t, self.out_dir) for _, t in renames]
        rel_bases = [os.path.relpath(b, self.out_dir) for b in bases]
        self.manifest.append({"status": "renaming", "key": task.key, "series": task.series, "bases": rel_bases,
                              "outputs": rel})

        def done():
            sizes = [os.path.getsize(target) for _, target in renames]
            volumes = [{k: v for k, v in vol.items() if k not in ("files", "png", "status", "rel")} for vol in described]
            self.manifest.append({"status": "done", "key": task.key, "series": task.series,
                                  "sources": [f.name for f in files], "bases": rel_bases,
                                  "outputs": [[r, s] for r, s in zip(rel, sizes)], "volumes": volumes})

        try:
            commit(renames, self.out_dir, after=done)
        except (NotWritableError, DiskFullError):
            raise
        except ConversionError as err:
            self.summary.failures.append({"source": _series_name(files), "reason": f"cannot rename into place: {err}"})
            return False
        return True


def _series_name(files):
    """A failed series as the report shows it: its folder and file count (a single file: its name)."""
    first = files[0].name
    if len(files) == 1:
        return first
    return f"{os.path.dirname(first) or first} ({len(files)} files)"


# imported once by the server the workers fork from
_WORKER_MODULES = ["medfast.convert.tasks", "medfast.dicom.reader", "medfast.dcm2niix.writer"]


def _local_executor(jobs):
    """``-j 1``: one thread beside the scan; more: that many worker processes (a series' Python holds the GIL)."""
    if jobs > 1:
        return _Processes(jobs)
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="medfast-series")


class _Processes:
    """The executor calls of the engine over worker processes, each converting one series at a time.

    Workers fork from a server process (``forkserver``: safe beside the scan
    threads) that imported the converter once. A worker that dies (a crash, the
    OOM killer) breaks the pool: each series that was in it runs once more in a
    process of its own, so only the series that crashes again fails; new series
    go to a new pool. A stopped run terminates the workers before its work
    folder goes.
    """

    def __init__(self, jobs):
        self.jobs, self.pool, self.pools = jobs, None, []

    def _new(self, workers):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_WORKER_MODULES)
        pool = ProcessPoolExecutor(workers, mp_context=context)
        self.pools.append(pool)
        return pool

    def run(self, fn, task):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return (self.pool or self._shared()).submit(fn, task)
        except BrokenProcessPool:
            return self._shared().submit(fn, task)

    def _shared(self):
        self.pool = self._new(self.jobs)
        return self.pool

    def alone(self, fn, task):
        """Run ``task`` in a process of its own (a series that was in a broken pool)."""
        return self._new(1).submit(fn, task)

    def submit(self, fn, task):
        return _Retried(self, fn, task)

    def shutdown(self, wait=True, cancel_futures=False):
        for pool in self.pools:
            if not wait:  # stopped: no worker may write into the work folder after this
                processes = list(getattr(pool, "_processes", {}).values())
                for process in processes:
                    process.terminate()
                deadline = time.monotonic() + 0.5  # dead before the run sweeps their temporaries
                for process in processes:
                    process.join(max(0.0, deadline - time.monotonic()))
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class _Retried:
    """A series' future that runs it once more when a worker's death broke the pool under it."""

    __slots__ = ("owner", "fn", "task", "future", "retried")

    def __init__(self, owner, fn, task):
        self.owner, self.fn, self.task, self.retried = owner, fn, task, False
        self.future = owner.run(fn, task)

    def _again(self):
        from concurrent.futures.process import BrokenProcessPool

        if self.retried or not self.future.done() or not isinstance(self.future.exception(), BrokenProcessPool):
            return False
        self.retried = True
        self.future = self.owner.alone(self.fn, self.task)
        return True

    def done(self):
        self._again()
        return self.future.done()

    def result(self):
        while True:
            self.future.exception()  # wait
            if not self._again():
                return self.future.result()


def _prepare_output(out_dir, dry_run):
    """Create and lock the output folder, finish a commit a killed run left; the lock (None for a dry run)."""
    if dry_run:
        return None
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        if not_writable(err):
            raise NotWritableError(f"{out_dir}: cannot create the output folder: {err.strerror}") from err
        raise ConversionError(f"{out_dir}: cannot create the output folder: {err.strerror or err}") from err
    if not os.path.isdir(out_dir):
        raise ConversionError(f"{out_dir}: not a folder")
    lock = lock_folder(out_dir, "medfast convert")
    try:
        recover(out_dir)  # a commit a kill cut short is finished, stray temporaries removed
        shutil.rmtree(os.path.join(out_dir, WORK), ignore_errors=True)
        os.makedirs(os.path.join(out_dir, WORK))
    except OSError as err:
        lock.release()
        if not_writable(err):
            raise NotWritableError(f"{out_dir}: cannot write into the output folder: {err.strerror}") from err
        raise ConversionError(f"{out_dir}: cannot write into the output folder: {err.strerror or err}") from err
    except BaseException:
        lock.release()
        raise
    return lock


def run(sources, out_dir, options=None, *, jobs=2, scheduler=None, report=None, dry_run=False,
        thumbnails=None, progress=None, limits=Limits(), to=None):
    """Convert every series and image under ``sources`` into ``out_dir``, as a stream; resume what an earlier run left.

    Parameters
    ----------
    sources : path or list of paths
        Folders (walked recursively), files, zip or tar archives: DICOM, and
        any format the registry reads (NIfTI, Analyze, NRRD, MINC, PAR/REC).
    out_dir : path
        Output folder (created when missing); it holds the manifest.
    options : Options
        Format, ``-f`` template, sidecar, conflict rule (``medfast.convert.Options``).
    jobs : int
        Series converted at once on this machine (1 or more).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address: one task per series on its workers.
    report : path, optional
        Write the HTML report there (thumbnails are then drawn).
    dry_run : bool
        Scan and name the outputs, write nothing (not even the output folder).
    thumbnails : bool, optional
        Draw thumbnails into ``Summary.series`` (default: when ``report`` is given).
    progress : Progress, optional
        Default: a bar on stderr when it is a terminal.
    limits : sources.Limits
        Bounds on each archive's members and decompressed bytes.
    to : str, optional
        Output format (``images.TARGETS``: nii.gz, nii, nrrd, nhdr, mnc); default ``options.to``.

    Returns
    -------
    Summary
        The output paths, with ``series``, ``failures``, ``warnings`` and ``exit_code``.

    Raises
    ------
    InvalidArgumentError
        A missing source, a bad option, an unreachable scheduler.
    NotWritableError
        The output folder cannot be written (nothing was converted).
    FolderBusyError
        Another run holds the output folder.
    ConversionError
        The disk is full (nothing partial is left).

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
    from . import FORMATS, Options, images
    from .progress import Progress

    options = options or Options()
    to = to or options.to
    if to != options.to and to in FORMATS:  # DICOM series in the same format as the other files
        options = dataclasses.replace(options, to=to)
    if to not in images.TARGETS:
        raise InvalidArgumentError(f"output format {to!r} not one of {sorted(images.TARGETS)}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgumentError(f"jobs={jobs!r}: must be 1 or more")
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not sources:
        raise InvalidArgumentError("no source given")
    for s in sources:
        if not os.path.exists(s):
            raise InvalidArgumentError(f"{os.fspath(s)}: no such file or folder")
    out_dir = os.path.abspath(os.fspath(out_dir))
    summary = Summary(out_dir, dry_run)
    progress = progress or Progress()
    start = time.monotonic()
    lock = _prepare_output(out_dir, dry_run)
    manifest = Manifest(out_dir, lock=False, append=not dry_run)
    work = os.path.join(out_dir, WORK)
    # archive members keep their names, so they are extracted outside OUT; the folder is made at the first archive
    extract_dir = os.path.join(tempfile.gettempdir(), f"medfast-extract-{os.getpid()}-{secrets.token_hex(4)}")
    stopped = False
    try:
        if scheduler:
            from .distributed import executor
        else:
            executor = _local_executor
        pool = executor(scheduler or jobs)
        engine = _Engine(out_dir, options, to, pool, manifest, work, summary, progress,
                         bool(report) if thumbnails is None else thumbnails)
        from concurrent.futures import ThreadPoolExecutor

        scan_pool = ThreadPoolExecutor(min(4, os.cpu_count() or 1), thread_name_prefix="medfast-scan")
        try:
            engine.run(sources, extract_dir, limits, scan_pool)
        except BaseException:
            stopped = True
            raise
        finally:
            scan_pool.shutdown(wait=not stopped, cancel_futures=True)
            pool.shutdown(wait=not stopped, cancel_futures=True)
            engine.show(force=True)
            progress.close()
    except BaseException as err:
        err.summary = summary  # what was finished, for the one line a stopped run prints
        raise
    finally:
        summary.seconds = time.monotonic() - start
        if stopped and lock is not None:  # the series threads were not waited for: they write nothing more here
            stop_writing(out_dir)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(extract_dir, ignore_errors=True)
        manifest.close()
        if lock is not None:
            lock.release()
    if report:
        from .report import write_report

        write_report(summary, report)
    return summary
