"""Faults injected into a bulk run: disk full, a read-only output, a source that vanishes or changes, EIO.

Each ends with nothing partial under a final name (every final file holds the
bytes an undisturbed run writes under that name, no temporary is left), a line
in the failure report, and the exit status of ``medfast.exitcodes``.

Disk full and the read-only folder are real file systems when the tests run as
root (CI does): a 1 MB tmpfs, and a tmpfs remounted read-only (root ignores
``chmod``). Elsewhere disk full is an ``ENOSPC`` injected halfway through a
write and the read-only folder a ``chmod 555``; each test prints which ran.
"""
from __future__ import annotations

import builtins
import errno
import os
import subprocess

import pytest

from medfast import exitcodes
from medfast._atomic import DiskFullError
from medfast.convert import Options, bulk, cli
from medfast.synth import write_ct_series
from support import final_outputs

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    for n in range(3):
        write_ct_series(root / f"ct{n}", shape=(128, 128, 12), series_number=2 + n, seed=n)
    return root


@pytest.fixture(scope="module")
def reference(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    assert bulk.run([study], out, Options(to="nii")).exit_code == 0
    return final_outputs(out)


def _mount_tmpfs(where, size, read_only=False):
    """Mount a tmpfs (root only); False when this machine does not let us."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        return False
    if read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    return True


def _umount(where):
    subprocess.run(["umount", "-l", str(where)], check=True)


def _leftovers(out):
    return [os.path.join(root, n) for root, dirs, names in os.walk(out) for n in names + dirs
            if n.startswith(".medfast-") or n.endswith((".part", ".journal"))]


def _only_finished(out, reference):
    got = final_outputs(out)
    for rel, data in got.items():
        assert reference.get(rel) == data, f"{rel}: carries a final name, not the finished file"
    assert _leftovers(out) == []
    return got


def test_disk_full(study, reference, tmp_path, monkeypatch, capsys):
    mount = tmp_path / "small"
    mounted = _mount_tmpfs(mount, "700k")
    print("disk full:", "a 700 kB tmpfs" if mounted else "ENOSPC injected halfway through a write")
    if not mounted:
        from medfast import _io

        real = _io.write_fortran
        calls = []

        def fill_up(f, data, out_dtype):
            calls.append(1)
            if len(calls) == 2:  # the second image: half written, then the disk is full
                f.write(b"\0" * 1000)
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(f, data, out_dtype)

        monkeypatch.setattr(_io, "write_fortran", fill_up)
    try:
        out = mount / "out"
        code = cli.main([str(study), "-o", str(out), "--to", "nii", "-j", "1"])
        err = capsys.readouterr().err
        assert code == exitcodes.OUTPUT_READ_ONLY
        lines = err.splitlines()
        assert any(line.startswith("medfast convert: failed: ") and "No space left on device" in line for line in lines)
        assert lines[-1].startswith(f"medfast convert: {out}: disk full: ")
        assert "Traceback" not in err
        got = _only_finished(out, reference)
        assert len(got) < len(reference)
        with pytest.raises(DiskFullError):
            bulk.run([study], out, Options(to="nii"), jobs=1)
        _only_finished(out, reference)
    finally:
        if mounted:
            _umount(mount)


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    mounted = _mount_tmpfs(folder, "1m", read_only=True)
    print("read-only output:", "a tmpfs mounted read-only" if mounted else "chmod 555")
    if not mounted:
        folder.chmod(0o555)
    yield folder
    if mounted:
        _umount(folder)
    else:
        folder.chmod(0o755)


def test_read_only_output_folder(study, read_only_folder, tmp_path, capsys):
    code = cli.main([str(study), "-o", str(read_only_folder)])
    err = capsys.readouterr().err
    assert code == exitcodes.OUTPUT_READ_ONLY
    assert err.splitlines() == [f"medfast convert: {read_only_folder}: cannot write into the output folder: "
                                + ("Read-only file system" if os.geteuid() == 0 else "Permission denied")]
    assert os.listdir(read_only_folder) == []
    # a folder to create inside it
    assert cli.main([str(study), "-o", str(read_only_folder / "sub")]) == exitcodes.OUTPUT_READ_ONLY
    assert capsys.readouterr().err.startswith(f"medfast convert: {read_only_folder / 'sub'}: cannot create the output folder: ")


def test_report_into_a_read_only_folder_is_refused_before_converting(study, read_only_folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main([str(study), "-o", str(out), "--report", str(read_only_folder / "report.html")])
    err = capsys.readouterr().err
    assert code == exitcodes.OUTPUT_READ_ONLY
    assert err.splitlines() == [f"medfast convert: --report {read_only_folder / 'report.html'}: cannot write into "
                                f"{read_only_folder}: " + ("Read-only file system" if os.geteuid() == 0
                                                          else "Permission denied")]
    assert not out.exists()


def _after_scan(monkeypatch, action):
    """Run ``action(files)`` once, on the scanned files, between the scan and the conversion."""
    real = bulk._scan_chunk

    def scan_then_act(files):
        scanned = real(files)
        action(files)
        return scanned

    monkeypatch.setattr(bulk, "_scan_chunk", scan_then_act)


def test_source_vanishes_between_scan_and_read(study, tmp_path, monkeypatch):
    src = tmp_path / "src"
    files = write_ct_series(src, shape=(16, 16, 5))
    victim = files[2]
    _after_scan(monkeypatch, lambda scanned: os.path.exists(victim) and os.unlink(victim))
    summary = bulk.run([src], tmp_path / "out")
    assert summary.exit_code == exitcodes.SOME_FAILED
    [failure] = summary.failures
    assert failure["source"] == victim and "No such file or directory" in failure["reason"]
    assert [s["shape"] for s in summary.series] == [[16, 16, 4]]
    assert _leftovers(tmp_path / "out") == []


def test_source_changes_between_scan_and_read(tmp_path, monkeypatch):
    src = tmp_path / "src"
    files = write_ct_series(src, shape=(16, 16, 5))
    write_ct_series(tmp_path / "src2", shape=(16, 16, 3), series_number=7, seed=3)

    def touch(scanned):
        if any(f.path == files[1] for f in scanned):
            os.utime(files[1], ns=(1, 1))

    _after_scan(monkeypatch, touch)
    summary = bulk.run([src, tmp_path / "src2"], tmp_path / "out")
    assert summary.exit_code == exitcodes.SOME_FAILED
    [failure] = summary.failures
    assert failure["source"].endswith("(5 files)")
    assert failure["reason"] == f"{files[1]}: changed while being converted (size or modification time); " \
                                "re-run to convert it as it is now"
    assert sorted(final_outputs(tmp_path / "out")) == ["CT_head_phantom_7.json", "CT_head_phantom_7.nii.gz"]
    assert _leftovers(tmp_path / "out") == []
    monkeypatch.undo()
    again = bulk.run([src, tmp_path / "src2"], tmp_path / "out")  # the re-run converts it as it is now
    assert again.exit_code == 0 and [s["status"] for s in again.series] == ["converted", "skipped"]


def test_network_mount_returns_eio(tmp_path, monkeypatch):
    src = tmp_path / "src"
    files = write_ct_series(src, shape=(16, 16, 5))
    victim = files[3]
    armed = []
    real_open = builtins.open

    def flaky_open(file, *args, **kwargs):
        if armed and os.fspath(file) == victim:
            raise OSError(errno.EIO, os.strerror(errno.EIO), victim)
        return real_open(file, *args, **kwargs)

    _after_scan(monkeypatch, lambda scanned: armed.append(True))
    monkeypatch.setattr(builtins, "open", flaky_open)
    summary = bulk.run([src], tmp_path / "out", jobs=1)  # -j 1: the series is read in this process, with the fault
    assert summary.exit_code == exitcodes.SOME_FAILED
    [failure] = summary.failures
    assert failure["source"] == victim and "Input/output error" in failure["reason"]
    assert [s["shape"] for s in summary.series] == [[16, 16, 4]]
    assert _leftovers(tmp_path / "out") == []
