"""``medfast convert`` and ``medfast dcm2niix`` killed with SIGKILL at random moments, then re-run.

Sources: two small subsets of the corpus (every transfer syntax; 12-bit
data) plus a synthetic study with a name conflict and a 4-D series. Half the
kills fall at a random time of a run, half just after a random number of
outputs got their names (start-up can take most of a short run); fixed seed,
``KILLS`` of each command. After every kill:

- no file under the output folder carries an output's extension unless it is
  the finished file (the bytes an uninterrupted run writes under that name);
- a series' files are there together, or a commit journal is there for the
  next run to finish them;

and after a re-run the folder holds exactly the uninterrupted run's files.
``medfast dcm2niix`` runs with ``-w 1`` so that a re-run writes the same names
(with dcm2niix's default ``-w 2`` a re-run adds ``a`` suffixes, as dcm2niix does).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import medfast
from medfast.synth import write_ct_series, write_mr_series
from support import corpus_root, final_outputs

# the medfast this test imports (installed, or the source tree), for the subprocesses too
PACKAGE_ROOT = str(Path(medfast.__file__).resolve().parents[1])
KILLS = 10
FINAL = (".nii", ".nii.gz", ".json", ".bval", ".bvec", ".nrrd", ".nhdr", ".mnc", ".raw")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """One folder: the corpus subsets (copied: dcm2niix does not follow links) and a synthetic study."""
    import shutil

    corpus = corpus_root()
    root = tmp_path_factory.mktemp("kill-source") / "in"
    for name in ("dcm_qa_ts", "dcm_qa_12bit"):
        shutil.copytree(corpus / name / "In", root / name)
    for n in range(3):
        write_ct_series(root / f"ct{n}", shape=(64, 64, 30), series_number=10 + n, seed=n)
    write_mr_series(root / "mr", shape=(32, 32, 10, 8), series_number=3)
    # a name conflict, for medfast convert only (dcm2niix -w 1 overwrites: the name's content depends on the moment)
    write_mr_series(root.parent / "conflict" / "mr_again", shape=(32, 32, 10, 4), series_number=3, seed=1)
    return root


COMMANDS = {
    "convert": lambda src, out: ["convert", str(src), str(src.parent / "conflict"), "-o", str(out), "-j", "2"],
    "dcm2niix": lambda src, out: ["dcm2niix", "-z", "y", "-w", "1", "-f", "%p_%s", "-o", str(out), str(src)],
}


def _start(command, src, out):
    out.mkdir(exist_ok=True)
    # a killed process cannot remove its temporary folders (multiprocessing's pymp-*): they go under pytest's
    temp = out.parent / "tmp"
    temp.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]),
               TMPDIR=str(temp))
    return subprocess.Popen([sys.executable, "-m", "medfast", *COMMANDS[command](src, out)], cwd=out.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _finished(proc):
    code = proc.wait(300)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert code == 0, err


def _finals(out):
    """Every file with an output's extension under ``out``, dot-folders included."""
    found = {}
    for folder, _, names in os.walk(out):
        for name in names:
            if name.lower().endswith(FINAL):
                path = os.path.join(folder, name)
                found[os.path.relpath(path, out)] = Path(path).read_bytes()
    return found


def _groups(reference):
    """Output base name -> the files of that series in the uninterrupted run."""
    groups = {}
    for rel in reference:
        stem = rel
        for ext in sorted(FINAL, key=len, reverse=True):
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
                break
        groups.setdefault(stem.removesuffix("_Eq_1").removesuffix("_Tilt_1"), set()).add(rel)
    return groups


def _wait_for_outputs(out, count, proc):
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if len(final_outputs(out)) >= count:
            return
        time.sleep(0.002)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_kill_at_random_moments_then_rerun(command, source, tmp_path):
    started = time.monotonic()
    _finished(_start(command, source, tmp_path / "ref"))
    duration = time.monotonic() - started
    reference = final_outputs(tmp_path / "ref")
    assert len(reference) > 20
    groups = _groups(reference)

    rng = random.Random(20261124 + len(command))
    folders, partial_seen = [tmp_path / "out0"], 0
    for n in range(KILLS):
        out = folders[-1]
        proc = _start(command, source, out)
        if n % 2:  # at a random moment of a run
            time.sleep(rng.uniform(0.05, 1.0) * duration)
        else:  # a random moment after the k-th output got its name (start-up may dwarf the work)
            _wait_for_outputs(out, rng.randrange(1, len(reference)), proc)
            time.sleep(rng.uniform(0, 0.05))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()
        got = _finals(out)
        for rel, data in got.items():
            assert rel in reference, f"after a kill: {rel} is not a name the full run writes"
            assert data == reference[rel], f"after a kill: {rel} carries a final name with other content"
        journal = any(name.endswith(".journal") for name in os.listdir(out))
        for stem, files in groups.items():
            there = files & set(got)
            assert not there or there == files or journal, f"after a kill: {sorted(there)} without {sorted(files - there)}"
        partial_seen += 0 < len(got) < len(reference)
        if len(got) == len(reference):  # nothing left to interrupt here: go on in a fresh folder
            folders.append(tmp_path / f"out{len(folders)}")
    assert partial_seen > 0, "no kill landed in the middle of a run: the test proves nothing"

    for out in folders:
        _finished(_start(command, source, out))
        assert final_outputs(out) == reference
        assert set(_finals(out)) == set(reference)  # nothing with an output's extension in a dot-folder
        left = sorted(n for n in os.listdir(out) if n.startswith("."))
        assert left == ([".medfast.manifest.jsonl"] if command == "convert" else [])
