"""What a user of ``medfast convert`` meets: one line a mistake with dcm2niix's exit status, the closing
summary, ``--dry-run``, and the progress bar on a real terminal."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import medfast
from medfast import exitcodes
from medfast.convert import cli
from medfast.synth import write_ct_series
from support import corpus_root, final_outputs

PACKAGE_ROOT = str(Path(medfast.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    write_ct_series(root / "ct", shape=(32, 32, 8))
    return root


@pytest.mark.parametrize("value, why", [("0", "must be 1 or more"), ("-3", "must be 1 or more"),
                                        ("two", "not a whole number")])
def test_jobs_must_be_positive(study, tmp_path, capsys, value, why):
    assert cli.main([str(study), "-o", str(tmp_path / "out"), "-j", value]) == exitcodes.INVALID_PARAM
    err = capsys.readouterr().err
    assert err.splitlines() == [f"medfast convert: argument -j/--jobs: -j {value}: {why} (see 'medfast convert -h')"]
    assert not (tmp_path / "out").exists()


def test_bad_format_and_missing_source(study, tmp_path, capsys):
    assert cli.main([str(study), "-o", str(tmp_path / "out"), "--to", "png"]) == exitcodes.INVALID_PARAM
    assert capsys.readouterr().err.startswith("medfast convert: argument --to: invalid choice: 'png'")
    assert cli.main([str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")]) == exitcodes.INPUT_INVALID
    assert capsys.readouterr().err.splitlines() == [f"medfast convert: {tmp_path / 'nowhere'}: no such file or folder"]


def test_closing_line_with_and_without_json(study, tmp_path, capsys):
    assert cli.main([str(study), "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("medfast convert: 1 converted, 0 skipped, 0 failed in ")
    assert captured.err.endswith(" s\n") and len(captured.err.splitlines()) == 1
    assert cli.main([str(study), "-o", str(tmp_path / "out"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["skipped"] == 1
    assert captured.err.startswith("medfast convert: 0 converted, 1 skipped, 0 failed in ")


def test_dry_run_lists_every_file_and_writes_nothing(tmp_path, capsys):
    src = corpus_root() / "dcm_qa_philips_dwi" / "In"
    out = tmp_path / "out"
    assert cli.main([str(src), "-o", str(out), "--dry-run"]) == 0
    planned = capsys.readouterr()
    assert not out.exists()
    assert "(dry run: nothing written)" in planned.err
    listed = sorted(os.path.relpath(line, out) for line in planned.out.splitlines())
    assert any(p.endswith(".bval") for p in listed) and any(p.endswith(".json") for p in listed)

    assert cli.main([str(src), "-o", str(out)]) == 0
    capsys.readouterr()
    assert listed == sorted(final_outputs(out))  # every file the run wrote, and nothing else

    assert cli.main([str(src), "-o", str(out), "--dry-run"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again and all(line.endswith("  (done: a run skips it)") for line in again)
    assert sorted(os.path.relpath(line.split("  (")[0], out) for line in again) == listed


def test_progress_bar_on_a_terminal(tmp_path):
    """Under a pseudo-terminal the bar is drawn: percentage, files/s, MB/s, then the closing line."""
    import pty

    src = tmp_path / "in"
    for n in range(4):
        write_ct_series(src / f"ct{n}", shape=(64, 64, 20), series_number=2 + n, seed=n)
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "medfast", "convert", str(src), "-o", str(tmp_path / "out"),
                             "-j", "1"], stdin=follower, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(120) == 0
    screen = b"".join(chunks).decode()
    assert "\r[" in screen and "files/s" in screen and "MB/s" in screen
    assert "] 100% | 80/80 files | series 4/4 |" in screen
    assert screen.rstrip().splitlines()[-1].startswith("medfast convert: 4 converted, 0 skipped, 0 failed in ")
