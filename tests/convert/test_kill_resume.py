"""``medfast convert`` killed with SIGKILL at random moments, then re-run: no half file, same outputs.

Half the kills fall at a random time, half just after a random number of
outputs got their names (start-up can take most of a short run). After
every kill, each file carrying a final name in the output folder must
hold exactly the bytes an uninterrupted run writes under that name; after the
last re-run the folder must hold exactly the uninterrupted run's files.
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
from support import final_outputs

# the medfast this test imports (installed, or the source tree), for the subprocesses too
PACKAGE_ROOT = str(Path(medfast.__file__).resolve().parents[1])
COMMAND = [sys.executable, "-m", "medfast", "convert"]
KILLS = 8


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    for n in range(6):
        write_ct_series(root / f"ct{n}", shape=(64, 64, 30), series_number=10 + n, seed=n)
    write_mr_series(root / "mr", shape=(32, 32, 10, 8), series_number=3)
    write_mr_series(root / "mr_again", shape=(32, 32, 10, 4), series_number=3, seed=1)  # a name conflict
    return root


def _start(src, out):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([*COMMAND, str(src), "-o", str(out), "-j", "2"], cwd=out.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_outputs(out, count, proc):
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if os.path.isdir(out) and sum(not n.startswith(".") for n in os.listdir(out)) >= count:
            return
        time.sleep(0.002)


def test_kill_at_random_moments_then_rerun(archive, tmp_path):
    started = time.monotonic()
    ref_run = _start(archive, tmp_path / "ref")
    assert ref_run.wait(120) == 0, ref_run.stderr.read().decode()
    duration = time.monotonic() - started
    reference = final_outputs(tmp_path / "ref")
    assert len(reference) == 16  # 8 series: image and sidecar each

    rng = random.Random(20261124)
    folders, partial_seen = [tmp_path / "out0"], 0
    for n in range(KILLS):
        proc = _start(archive, folders[-1])
        if n % 2:  # at a random moment of a run
            time.sleep(rng.uniform(0.05, 1.0) * duration)
        else:  # a random moment after the k-th output got its name (start-up may dwarf the work)
            _wait_for_outputs(folders[-1], rng.randrange(1, len(reference)), proc)
            time.sleep(rng.uniform(0, 0.05))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()
        got = final_outputs(folders[-1])
        for rel, data in got.items():
            assert rel in reference, f"after a kill: {rel} is not a name the full run writes"
            assert data == reference[rel], f"after a kill: {rel} carries a final name with other content"
        partial_seen += 0 < len(got) < len(reference)
        if len(got) == len(reference):  # nothing left to interrupt here: go on in a fresh folder
            folders.append(tmp_path / f"out{len(folders)}")
    assert partial_seen > 0, "no kill landed in the middle of a run: the test proves nothing"

    for out in folders:
        last = _start(archive, out)
        assert last.wait(120) == 0, last.stderr.read().decode()
        assert final_outputs(out) == reference
        assert sorted(n for n in os.listdir(out) if n.startswith(".")) == [".medfast.manifest.jsonl"]
