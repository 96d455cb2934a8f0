"""``medfast convert`` as a separate process: Ctrl-C and SIGTERM, and two runs on one output folder.

Real signals to real processes. A stopped run exits within a second with
130/143 and one line on stderr (what was done, how to resume), leaves no
temporary and only finished files; the same command then finishes the job with
the bytes an uninterrupted run writes. A second run on a folder another run
holds is refused at once with one line and exit 6 (``medfast dcm2niix``: its
error status, 1), and the first run is not disturbed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import medfast
from medfast import exitcodes
from medfast.synth import write_ct_series
from support import final_outputs

PACKAGE_ROOT = str(Path(medfast.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    for n in range(6):
        write_ct_series(root / f"ct{n}", shape=(96, 96, 40), series_number=10 + n, seed=n)
    return root


@pytest.fixture(scope="module")
def reference(archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    proc = _start(archive, out)
    assert proc.wait(180) == 0, proc.stderr.read().decode()
    proc.stderr.close()
    return final_outputs(out)


def _start(src, out, *extra, env=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]), **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "medfast", "convert", str(src), "-o", str(out), "-j", "1", *extra],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_until_converting(out, proc, outputs=1):
    """Until the run holds the folder and has given ``outputs`` files their names."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / ".medfast-work").is_dir() and len(final_outputs(out)) >= outputs:
            return
        time.sleep(0.01)
    pytest.fail(f"the run ended (or stalled) before converting: {proc.poll()}")


def _leftovers(out):
    return [os.path.join(root, n) for root, dirs, names in os.walk(out) for n in names + dirs
            if n.startswith(".medfast-") or n.endswith((".part", ".journal"))]


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["thread", "processes"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_within_a_second_then_rerun_finishes(archive, reference, tmp_path, signum, jobs):
    """-j 1 converts in a thread beside the main one, -j 2 in worker processes: both stop at once, cleanly."""
    out = tmp_path / "out"
    temp = tmp_path / "tmp"  # multiprocessing's folders of the stopped run (it exits without its cleanup)
    temp.mkdir()
    proc = _start(archive, out, "-j", jobs, env={"TMPDIR": str(temp)})
    _wait_until_converting(out, proc)
    sent = time.monotonic()
    proc.send_signal(signum)
    code = proc.wait(30)
    took = time.monotonic() - sent
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert code == 128 + signum == (exitcodes.INTERRUPTED if signum == signal.SIGINT else exitcodes.TERMINATED)
    assert took < 1.0, f"stopped {took:.2f} s after the signal"
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"medfast convert: stopped by {signal.Signals(signum).name}: ")
    assert "series done" in lines[0] and "run the same command again" in lines[0]
    assert _leftovers(out) == []
    got = final_outputs(out)
    assert got and all(reference[rel] == data for rel, data in got.items())
    assert len(got) < len(reference), "the signal came after the end: the test proves nothing"

    again = _start(archive, out)
    assert again.wait(180) == 0, again.stderr.read().decode()
    again.stderr.close()
    assert final_outputs(out) == reference and _leftovers(out) == []


def test_second_run_on_the_same_folder_is_refused(archive, reference, tmp_path):
    """Another process holds the folder (as a run does, for its whole length): a run is refused at once, leaving
    the folder as it was; once the holder lets go, the same command converts everything."""
    out = tmp_path / "out"
    out.mkdir()
    hold = ("import sys\nfrom medfast._atomic import output_folder\n"
            "with output_folder(sys.argv[1], 'medfast convert'):\n"
            "    print('held', flush=True)\n    sys.stdin.readline()\n")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              cwd=tmp_path, env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    try:
        assert holder.stdout.readline() == b"held\n"
        second = _start(archive, out)
        code = second.wait(60)
        err = second.stderr.read().decode()
        second.stderr.close()
        assert code == exitcodes.OUTPUT_INVALID
        assert err.splitlines() == [f"medfast convert: {out}: another medfast convert run is writing into this "
                                    "folder; wait for it to finish, or choose another output folder"]
        assert final_outputs(out) == {} and _leftovers(out) == []
    finally:
        holder.stdin.close()
        holder.wait(30)
    first = _start(archive, out)
    assert first.wait(180) == 0, first.stderr.read().decode()
    first.stderr.close()
    assert final_outputs(out) == reference and _leftovers(out) == []


def _wait_until_held(out, proc):
    """Until the process holds the folder's lock (a try to take it fails)."""
    import fcntl

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir():
            fd = os.open(out, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            finally:
                os.close(fd)  # closing drops a lock this test took
        time.sleep(0.005)
    pytest.fail(f"the first run never held the folder: {proc.poll()}")


def test_second_dcm2niix_on_the_same_folder_is_refused(archive, tmp_path):
    """A run of medfast dcm2niix holds its output folder; while another process holds it a run is refused at once
    (exit 1, one line, nothing written); once free, the same command converts everything."""
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "medfast", "dcm2niix", "-z", "y", "-f", "%p_%s", "-o", str(out), str(archive)]
    running = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_until_held(out, running)  # a real run takes the lock
    assert running.wait(180) == 0, running.stderr.read().decode()
    running.stderr.close()
    shutil.rmtree(out)
    out.mkdir()
    hold = ("import sys\nfrom medfast._atomic import output_folder\n"
            "with output_folder(sys.argv[1], 'medfast dcm2niix'):\n"
            "    print('held', flush=True)\n    sys.stdin.readline()\n")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              cwd=tmp_path, env=env)
    try:
        assert holder.stdout.readline() == b"held\n"
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == exitcodes.ERROR
        assert second.stderr.splitlines() == [f"medfast dcm2niix: {out}: another medfast dcm2niix run is writing "
                                              "into this folder; wait for it to finish, or choose another output folder"]
        assert final_outputs(out) == {} and _leftovers(out) == []
    finally:
        holder.stdin.close()
        holder.wait(30)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr
    assert len(final_outputs(out)) == 12 and _leftovers(out) == []
