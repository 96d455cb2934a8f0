"""Mutants of real files give a value or a MedfastError: no crash, hang, runaway allocation or stray exception.

Real files (the DICOM corpus, pydicom's and nibabel's samples, files medfast
writes) are flipped, truncated, given extreme header integers, and have chunks
deleted or repeated, with a fixed seed; each mutant is read by every reader
that takes its format, in worker processes with an address-space cap and a
timeout (``tests/fuzz/mutation.py``). DICOM files also get element-wise
mutations (a length, VR, tag or value of any element, nested ones too) and go
to the scanner's kernels against their NumPy twins (``index``: ``index_elements``,
then ``decode_values`` and ``decode_items`` on its table) and to every
``Header`` method of the scanned header, whose primed values must equal those
decoded element by element (``header``). Folders of DICOM files
of every vendor, some of them mutated, go through ``read_dicom``,
``medfast dcm2niix`` and the bulk engine as they are and packed into zip and
tar archives (targets ``convert``, ``convert_zip``, ``convert_tar``): it must
return, report every failure under the input's name (never an error that is
not a ``MedfastError``) and leave nothing partial. A failing mutant is saved with its
traceback; the assertion message lists where.
"""
from __future__ import annotations

import os

from fuzz import mutation

MUTANTS = int(os.environ.get("MEDFAST_MUTANTS", "10000"))
SEED = int(os.environ.get("MEDFAST_MUTATION_SEED", "20261124"))


def test_mutants_give_a_value_or_a_medfast_error(corpus, tmp_path):
    counts, failures = mutation.run(MUTANTS, SEED, workers=2, corpus=corpus, outdir=tmp_path)
    print(mutation.summary(counts))
    assert sum(counts.values()) == MUTANTS >= 2000
    assert {target for target, _ in counts} >= {"read", "read_dicom", "read_dicom_file", "scan", "header", "pixel_array",
                                                "rle", "bits", "index", "convert", "convert_zip", "convert_tar",
                                                "dcm2niix"}
    kinds = {kind for _, kind in counts}
    assert "value" in kinds and "InvalidFileError" in kinds, "the mutants must reach both outcomes"
    reasons = [f"{folder}: {(folder / 'why.txt').read_text().splitlines()[1]}" for folder in failures]
    assert not failures, f"{len(failures)} mutants broke the promise:\n" + "\n".join(reasons[:40])


def test_a_segfaulting_worker_is_a_crash_and_a_sleeping_one_a_hang(tmp_path, monkeypatch):
    """The guard itself: a worker killed by a signal or stuck past the timeout is reported, not lost."""
    import signal

    from fuzz import targets

    def misbehave(folder, main):
        if main == "crash.nii":
            os.kill(os.getpid(), signal.SIGSEGV)
        if main == "hang.nii":
            import time

            time.sleep(60)

    monkeypatch.setitem(targets.FILE_TARGETS, "read", misbehave)
    tasks = [mutation.Task(0, "read", files={"crash.nii": b"x"}, main="crash.nii"),
             mutation.Task(1, "read", files={"hang.nii": b"x"}, main="hang.nii"),
             mutation.Task(2, "read", files={"fine.nii": b"x"}, main="fine.nii")]
    monkeypatch.setattr(mutation, "tasks", lambda count, seed, corpus=None: iter(tasks))
    counts, failures = mutation.run(3, workers=2, timeout=3, outdir=tmp_path, context="fork")
    assert counts == {("read", "crash"): 1, ("read", "hang"): 1, ("read", "value"): 1}
    assert sorted(f.name for f in failures) == ["00000-read-crash", "00001-read-hang"]
    assert (tmp_path / "00000-read-crash" / "crash.nii").read_bytes() == b"x"
