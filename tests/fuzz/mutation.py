"""The mutation run: mutants of real files read in guarded worker processes.

Each worker caps its address space (``targets.limit_memory``) once its
imports are done, so an allocation the file cannot justify fails as
``MemoryError``; the parent kills a worker that runs past the timeout (a hang)
and restarts one that dies by a signal (a crash). Every mutant that breaks the
promise is saved, with the reason, under a temporary folder.

Run it alone with ``python -m tests.fuzz.mutation --mutants 2000 --seed 0``.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import faulthandler
import multiprocessing
import os
import random
import shutil
import struct
import tempfile
import time
import traceback
import warnings
from multiprocessing.connection import wait
from pathlib import Path

from . import targets
from .mutate import mutate
from .seeds import FAMILY_TARGETS, all_seeds

FILE_TARGETS = tuple(targets.FILE_TARGETS)

TIMEOUT = 10.0  # seconds for one mutant; reading a seed takes well under one
#: Targets that convert a whole folder (several files, the writers too) get this many times ``TIMEOUT``.
FOLDER_TARGETS = frozenset({"read_dicom", "convert", "convert_zip", "convert_tar", "dcm2niix"})
FOLDER_FACTOR = 3


@dataclasses.dataclass
class Task:
    number: int
    target: str
    files: dict = None  # file targets
    main: str = None
    blob: bytes = None  # kernel targets
    mutations: tuple = ()
    label: str = ""


def _warm_up():
    """Import everything a target may need, so the memory cap is measured after the imports."""
    import h5py  # noqa: F401
    import nibabel  # noqa: F401
    import nrrd  # noqa: F401
    import pydicom  # noqa: F401

    import medfast._kernels._reference  # noqa: F401
    import medfast.convert.bulk  # noqa: F401
    import medfast.convert.images  # noqa: F401
    import medfast.dcm2niix.cli  # noqa: F401
    import medfast.dcm2niix.naming  # noqa: F401
    import medfast.dcm2niix.sidecar  # noqa: F401
    import medfast.dicom._private_dictionary  # noqa: F401
    import medfast.dicom.pixels  # noqa: F401
    import medfast.dicom.scan  # noqa: F401
    from medfast.formats import FORMATS

    FORMATS()


def _worker(conn, folder):
    warnings.simplefilter("ignore")  # pydicom and nibabel warn on every broken file
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # and the JPEG decoders print to the C stderr
    faulthandler.disable()  # a crash is reported by the parent, from the exit signal
    _warm_up()
    targets.limit_memory()
    while True:
        task = conn.recv()
        if task is None:
            return
        try:
            if task.blob is not None:
                result = ("ok", targets.run_blob(task.target, task.blob))
            else:
                result = ("ok", targets.run_files(task.target, folder, task.files, task.main))
        except targets.Finding as finding:
            result = ("finding", f"{finding}\n" + "".join(traceback.format_exception(finding)))
        conn.send(result)


class _Slot:
    """One worker process, the task it runs, and its scratch folder (made and removed here: a killed
    worker cannot clean up after itself)."""

    def __init__(self, ctx, parent):
        self.folder = tempfile.mkdtemp(prefix="medfast-mutant-", dir=parent)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, self.folder), daemon=True)
        self.proc.start()
        child.close()
        self.task = None
        self.started = self.deadline = 0.0

    def send(self, task, timeout):
        self.task, self.started = task, time.monotonic()
        self.deadline = self.started + timeout * (FOLDER_FACTOR if task.target in FOLDER_TARGETS else 1)
        self.conn.send(task)

    def stop(self):
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        shutil.rmtree(self.folder, ignore_errors=True)


def _rle_blobs():
    """RLE kernel inputs from pydicom's RLE samples: the arguments packed before the first frame."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.encaps import generate_frames

    for name in ("MR_small_RLE.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_32bit.dcm"):
        ds = pydicom.dcmread(get_testdata_file(name))
        frame = next(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
        yield struct.pack("<HHBB", ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated) + frame


def _bits_blobs():
    data = bytes(range(256)) * 4
    for op, count, p, q in ((0, 4000, 3, 0), (1, 600, 0, 0), (2, 0, 2, 0), (2, 0, 4, 0), (3, 0, 12, 23), (4, 0, 12, 1)):
        yield struct.pack("<BIBB", op, count, p, q) + data


def _index_blobs(seeds):
    """``index_elements`` inputs from the DICOM seeds: the file meta walk and the data set walk of each, as the
    scanner starts them (``targets.INDEX_HEAD``), the bytes cut a little after the start of Pixel Data."""
    from .mutate import layout

    for s in seeds:
        data = s.files[s.main]
        found = layout(data) if data[128:132] == b"DICM" else None
        if found is None:
            continue
        _, start, explicit, big = found
        pixels = data.find(b"\x7f\xe0\x00\x10" if big else b"\xe0\x7f\x10\x00", start)
        body = data[:pixels + 64] if pixels > 0 else data
        yield targets.INDEX_HEAD.pack(1 | 4, 0, 132) + body
        yield targets.INDEX_HEAD.pack(int(explicit) | (2 if big else 0), 0, start) + body


def tasks(count, seed, corpus=None, only=None):
    """``count`` mutants, the same ones for the same ``seed``; ``only``: the targets to draw from (default all)."""
    rng = random.Random(seed)
    seeds = all_seeds(corpus)
    blobs = [("rle", b) for b in _rle_blobs()] + [("bits", b) for b in _bits_blobs()]
    blobs += [("index", b) for b in _index_blobs(s for s in seeds if s.family == "dicom")]
    if only is not None:
        blobs = [b for b in blobs if b[0] in only]
        seeds = [s for s in seeds if set(FAMILY_TARGETS[s.family]) & set(only)]
    share = (0.08 if only is None else len({t for t, _ in blobs}) / len(only)) if blobs else 0
    # a file target is drawn as often as the families it reads (``read``: every format but DICOM)
    file_targets = sorted({t for s in seeds for t in FAMILY_TARGETS[s.family]} & set(only or FILE_TARGETS))
    weights = [len({s.family for s in seeds if t in FAMILY_TARGETS[s.family]}) for t in file_targets]
    for number in range(count):
        if rng.random() < share:
            target = rng.choice(sorted({t for t, _ in blobs}))
            blob = rng.choice([b for t, b in blobs if t == target])
            head = 7 if target == "index" else 6  # the arguments packed before the data
            mutant, names = mutate(rng, blob[:head]) if rng.random() < 0.3 else mutate(rng, blob)
            if len(mutant) <= head:  # arguments mutated: keep the data
                mutant = (mutant + blob[len(mutant):head])[:head] + blob[head:]
            yield Task(number, target, blob=mutant, mutations=tuple(names), label=target)
            continue
        target = rng.choices(file_targets, weights)[0]
        readers = [s for s in seeds if target in FAMILY_TARGETS[s.family]]
        s = rng.choices(readers, [r.weight for r in readers])[0]
        if s.family == "dicom_folder":
            yield _series_task(rng, number, target, s)
            continue
        victim = s.main if rng.random() < 0.8 or len(s.files) == 1 else rng.choice(sorted(s.files))
        mutant, names = mutate(rng, s.files[victim])
        files = {**s.files, victim: mutant}
        yield Task(number, target, files=files, main=s.main, mutations=tuple(names), label=f"{s.label}:{victim}")


def _series_task(rng, number, target, seed):
    """A folder of DICOM files, one to all of them mutated, for the series path (``read_dicom``, the bulk
    engine, ``medfast dcm2niix``); packed into a zip or tar archive for ``convert_zip``/``convert_tar``, whose
    own bytes are then mutated one time in four."""
    files, names = dict(seed.files), []
    victims = rng.sample(sorted(files), rng.randint(1, len(files)))
    for victim in victims:
        files[victim], done = mutate(rng, files[victim])
        names += [f"{victim}:{n}" for n in done]
    main = seed.main
    if target.startswith("convert_"):
        kind = target.split("_")[1]
        archive = targets.pack(files, kind)
        if rng.random() < 0.25:
            archive, done = mutate(rng, archive)
            names += [f"archive:{n}" for n in done]
        main = f"a.{kind}"
        files = {main: archive}
    return Task(number, target, files=files, main=main, mutations=tuple(names), label=f"{seed.label}:{target}")


def _save(outdir, task, kind, why):
    folder = Path(outdir, f"{task.number:05d}-{task.target}-{kind}")
    folder.mkdir(parents=True, exist_ok=True)
    if task.blob is not None:
        Path(folder, f"{task.target}.bin").write_bytes(task.blob)
    else:
        for name, data in task.files.items():
            Path(folder, name).write_bytes(data)
    Path(folder, "why.txt").write_text(
        f"target={task.target} main={task.main} seed={task.label} mutations={task.mutations}\n{why}\n"
    )
    return folder


def run(count=2000, seed=0, workers=2, timeout=TIMEOUT, corpus=None, outdir=None, context="spawn"):
    """Read ``count`` mutants made with ``seed``; see ``run_tasks``."""
    return run_tasks(tasks(count, seed, corpus), workers, timeout, outdir, context)


def run_tasks(todo, workers=2, timeout=TIMEOUT, outdir=None, context="spawn", progress=0):
    """Run each ``Task`` in guarded workers; return ``(counts, failures)``.

    ``counts`` maps ``(target, outcome)`` to a number; ``failures`` lists the
    folders where each breaking input was saved (outcome ``finding``,
    ``hang`` or ``crash``). Workers start by ``spawn``: the parent may hold
    threads (OpenMP, pytest plugins) that a fork would copy mid-flight.
    ``progress``: print a line every that many mutants. SIGINT stops the run
    with the counts reached.
    """
    ctx = multiprocessing.get_context(context)
    outdir = outdir or tempfile.mkdtemp(prefix="medfast-mutation-")
    os.makedirs(outdir, exist_ok=True)
    counts, failures = collections.Counter(), []
    start, reported = time.monotonic(), 0
    todo = iter(todo)
    slots = [_Slot(ctx, outdir) for _ in range(workers)]

    def record(slot, kind, why=""):
        counts[(slot.task.target, kind)] += 1
        if kind in ("finding", "hang", "crash"):
            failures.append(_save(outdir, slot.task, kind, why))
        slot.task = None

    try:
        for slot in slots:
            task = next(todo, None)
            if task is not None:
                slot.send(task, timeout)
        while any(s.task for s in slots):
            done = sum(counts.values())
            if progress and done and done % progress == 0 and done != reported:
                reported = done
                print(f"{done} mutants, {len(failures)} failures, {time.monotonic() - start:.0f} s", flush=True)
            busy = [s for s in slots if s.task]
            left = min(s.deadline - time.monotonic() for s in busy)
            ready = wait([s.conn for s in busy], timeout=max(left, 0))
            for i, slot in enumerate(slots):
                if not slot.task:
                    continue
                if slot.conn in ready:
                    try:
                        status, detail = slot.conn.recv()
                        record(slot, detail if status == "ok" else "finding", detail)
                    except (EOFError, OSError):  # the worker died mid-task
                        slot.proc.join()
                        record(slot, "crash", f"worker died: exit code {slot.proc.exitcode}")
                        slot.stop()
                        slots[i] = slot = _Slot(ctx, outdir)
                elif time.monotonic() > slot.deadline:
                    slot.proc.kill()
                    slot.proc.join()
                    record(slot, "hang", f"no answer in {slot.deadline - slot.started:.0f} s")
                    slot.stop()
                    slots[i] = slot = _Slot(ctx, outdir)
                else:
                    continue
                task = next(todo, None)
                if task is not None:
                    slot.send(task, timeout)
    except KeyboardInterrupt:  # a campaign stopped by SIGINT: the counts so far
        print(f"interrupted after {sum(counts.values())} mutants", flush=True)
    finally:
        for slot in slots:
            slot.stop()
    return counts, failures


def summary(counts):
    """The counts as a table: one line a target, outcomes by class."""
    by_target = collections.defaultdict(dict)
    for (target, kind), n in sorted(counts.items()):
        by_target[target][kind] = n
    total = sum(counts.values())
    lines = [f"{total} mutants"]
    lines += [f"  {t}: {sum(k.values())}: " + ", ".join(f"{kind} {n}" for kind, n in k.items())
              for t, k in by_target.items()]
    return "\n".join(lines)


def saved_task(folder, number=0):
    """The ``Task`` of a mutant that ``_save`` saved in ``folder`` (its files and ``why.txt``)."""
    import re

    folder = Path(folder)
    target, main = re.search(r"target=(\S+) main=(\S+)", (folder / "why.txt").read_text()).groups()
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "why.txt"}
    if main == "None":
        return Task(number, target, blob=files[f"{target}.bin"], label=folder.name)
    return Task(number, target, files=files, main=main, label=folder.name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rerun", nargs="+", type=Path, help="saved failures to run again (after a fix)")
    parser.add_argument("--mutants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--out", help="folder for the failing mutants (default: a new temporary folder)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    if args.rerun:
        todo = [saved_task(folder, n) for n, folder in enumerate(args.rerun) if (folder / "why.txt").exists()]
        counts, failures = run_tasks(todo, args.workers, args.timeout, outdir=args.out)
    else:
        counts, failures = run(args.mutants, args.seed, args.workers, args.timeout, outdir=args.out)
    print(summary(counts))
    print(f"{time.monotonic() - start:.0f} s; {len(failures)} failures")
    for folder in failures:
        print(" ", folder, Path(folder, "why.txt").read_text().splitlines()[0])
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
