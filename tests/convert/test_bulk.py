"""The bulk engine: same bytes as ``plan``/``execute``, resume, failures alone, names, disk full, CLI.

Data: synthetic CT and 4-D MR series (``medfast.synth``). The reference for
every output is the one-series-at-a-time engine (``plan`` + ``execute``),
itself tested against dcm2niix.
"""
from __future__ import annotations

import errno
import io
import json
import os

import pytest

from medfast import exitcodes
from medfast.convert import Options, bulk, cli, execute, plan
from medfast.convert.manifest import NAME as MANIFEST
from medfast.convert.progress import Progress
from medfast.errors import ConversionError, InvalidArgumentError
from medfast.synth import write_ct_series, write_mr_series
from support import final_outputs

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    write_ct_series(root / "ct", shape=(32, 24, 10), series_number=2, shuffle_names=True)
    write_mr_series(root / "mr", shape=(16, 16, 6, 3), series_number=3)
    write_ct_series(root / "more" / "ct2", shape=(16, 16, 5), series_number=4, seed=1)
    (root / "README.txt").write_text("not DICOM")
    return root


def test_same_bytes_as_plan_execute(study, tmp_path):
    summary = bulk.run([study], tmp_path / "bulk")
    execute(plan(study, tmp_path / "ref"))
    got, ref = final_outputs(tmp_path / "bulk"), final_outputs(tmp_path / "ref")
    assert sorted(got) == sorted(ref) == ["CT_head_phantom_2.json", "CT_head_phantom_2.nii.gz",
                                          "CT_head_phantom_4.json", "CT_head_phantom_4.nii.gz",
                                          "fMRI_phantom_3.json", "fMRI_phantom_3.nii.gz"]
    assert got == ref
    assert summary.exit_code == 0 and summary.failures == []
    assert summary.files == 10 + 18 + 5 + 1 and summary.not_dicom == 1
    shapes = {s["outputs"][0]: s["shape"] for s in summary.series}
    assert shapes == {"CT_head_phantom_2.nii.gz": [32, 24, 10], "fMRI_phantom_3.nii.gz": [16, 16, 6, 3],
                      "CT_head_phantom_4.nii.gz": [16, 16, 5]}
    assert not (tmp_path / "bulk" / bulk.WORK).exists()


def test_rerun_skips_done_and_finishes_the_rest(study, tmp_path):
    out = tmp_path / "out"
    first = bulk.run([study], out)
    before = final_outputs(out)
    os.unlink(out / "fMRI_phantom_3.nii.gz")
    stamp = os.stat(out / "CT_head_phantom_2.nii.gz").st_mtime_ns
    second = bulk.run([study], out)
    assert [s["status"] for s in second.series].count("skipped") == 2
    assert [s["outputs"] for s in second.series if s["status"] == "converted"] == \
        [["fMRI_phantom_3.nii.gz", "fMRI_phantom_3.json"]]
    assert final_outputs(out) == before  # same names (no "a" suffix for its own files), same bytes
    assert os.stat(out / "CT_head_phantom_2.nii.gz").st_mtime_ns == stamp  # not rewritten
    assert sorted(second) == sorted(first)


def test_changed_source_is_converted_again(tmp_path):
    files = write_ct_series(tmp_path / "ct", shape=(16, 16, 4))
    bulk.run([tmp_path / "ct"], tmp_path / "out")
    os.unlink(files[-1])  # the series now has 3 slices
    summary = bulk.run([tmp_path / "ct"], tmp_path / "out")
    assert [s["status"] for s in summary.series] == ["converted"]
    assert summary.series[0]["shape"] == [16, 16, 3]
    assert summary.series[0]["outputs"][0] == "CT_head_phantom_2.nii.gz"  # its own name, not "...a"


def test_corrupt_file_fails_alone(tmp_path):
    files = write_ct_series(tmp_path / "in" / "ct", shape=(16, 16, 6))
    write_mr_series(tmp_path / "in" / "mr", shape=(8, 8, 3, 2))
    data = open(files[2], "rb").read()
    open(files[2], "wb").write(data[:-100])  # truncated pixel data
    (tmp_path / "in" / "ct" / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff")
    summary = bulk.run([tmp_path / "in"], tmp_path / "out")
    assert summary.exit_code == exitcodes.SOME_FAILED
    reasons = {os.path.basename(f["source"]): f["reason"] for f in summary.failures}
    assert os.path.basename(files[2]) in reasons and "PixelData" in reasons[os.path.basename(files[2])]
    assert "broken.dcm" in reasons
    shapes = sorted(s["shape"] for s in summary.series)
    assert shapes == [[8, 8, 3, 2], [16, 16, 5]]  # the CT without its broken slice, the MR whole
    ct = next(s for s in summary.series if s["shape"] == [16, 16, 5])
    assert any("missing" in w for w in ct["warnings"])


def test_conflicts_and_foreign_files(tmp_path):
    write_ct_series(tmp_path / "in" / "a", shape=(8, 8, 3), seed=1)
    write_ct_series(tmp_path / "in" / "b", shape=(8, 8, 4), seed=2)  # same protocol and number
    out = tmp_path / "out"
    out.mkdir()
    (out / "CT_head_phantom_2.nii.gz").write_bytes(b"someone else's")
    summary = bulk.run([tmp_path / "in"], out)
    names = [(s["shape"][2], s["outputs"][0]) for s in summary.series]
    assert names == [(3, "CT_head_phantom_2a.nii.gz"), (4, "CT_head_phantom_2b.nii.gz")]
    assert (out / "CT_head_phantom_2.nii.gz").read_bytes() == b"someone else's"
    again = bulk.run([tmp_path / "in"], out)  # a re-run keeps those names
    assert [s["outputs"][0] for s in again.series] == ["CT_head_phantom_2a.nii.gz", "CT_head_phantom_2b.nii.gz"]


def test_names_from_dicom_values_stay_inside(tmp_path):
    import pydicom

    for path in write_ct_series(tmp_path / "in", shape=(8, 8, 3)):
        ds = pydicom.dcmread(path)
        ds.ProtocolName = ".."
        ds.SeriesDescription = "/etc/passwd\x01"
        ds.save_as(path)
    summary = bulk.run([tmp_path / "in"], tmp_path / "out", Options(template="%p/%d/%p"))
    [rel] = [s["outputs"][0] for s in summary.series]
    parts = rel.split("/")
    assert ".." not in parts and "." not in parts and not os.path.isabs(rel)
    assert all(not p.startswith(".") and all(ord(c) >= 32 for c in p) for p in parts)
    assert os.path.realpath(tmp_path / "out" / rel).startswith(os.path.realpath(tmp_path / "out") + os.sep)


def test_disk_full_leaves_nothing_partial(study, tmp_path, monkeypatch):
    import medfast.dcm2niix.writer as engine

    real = engine.write_job

    def full(job, options):
        written = real(job, options)  # the temporary files exist: the engine must remove them
        raise ConversionError(f"{written[0]}: cannot write") from OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine, "write_job", full)
    with pytest.raises(ConversionError, match="disk full"):
        bulk.run([study], tmp_path / "out", jobs=1)
    assert final_outputs(tmp_path / "out") == {}
    assert sorted(os.listdir(tmp_path / "out")) == [".medfast.manifest.jsonl"]


def test_dry_run_writes_nothing(study, tmp_path):
    summary = bulk.run([study], tmp_path / "out", dry_run=True)
    assert [s["status"] for s in summary.series] == ["planned"] * 3
    assert sorted(s["outputs"][0] for s in summary.series) == [
        "CT_head_phantom_2.nii.gz", "CT_head_phantom_4.nii.gz", "fMRI_phantom_3.nii.gz"]
    assert final_outputs(tmp_path / "out") == {} and not (tmp_path / "out" / MANIFEST).exists()


def test_cli_json_and_exit_codes(study, tmp_path, capsys):
    assert cli.main([str(study), "-o", str(tmp_path / "out"), "--json", "--to", "nii"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["converted"] == 3 and report["failed"] == 0 and report["files_scanned"] == 34
    assert sorted(o for s in report["series"] for o in s["outputs"] if o.endswith(".nii")) == [
        "CT_head_phantom_2.nii", "CT_head_phantom_4.nii", "fMRI_phantom_3.nii"]
    assert cli.main([str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == exitcodes.INPUT_INVALID
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff")
    assert cli.main([str(tmp_path / "bad"), "-o", str(tmp_path / "out2")]) == exitcodes.NO_VALID_FILES
    assert "x.dcm" in capsys.readouterr().err
    with pytest.raises(InvalidArgumentError):
        bulk.run([study], tmp_path / "o", Options(to="png"))
    for level in (-1, 10, 6.0, True):  # dcm2niix's -1..-9 reach the gzip writer as zlib-ng levels 0-9 only
        with pytest.raises(InvalidArgumentError, match="gzip level"):
            Options(gz_level=level)


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_on_a_terminal_only():
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        p = Progress(stream, interval=0)
        p.update(files=1200, files_done=300, series=7, done=3, bytes_seen=4_000_000, bytes_done=2_000_000,
                 walked=False, failed=1)
        p.close()
    assert pipe.getvalue() == ""
    text = tty.getvalue()
    assert text.startswith("\r[##########----------]  50%+ | 300/1,200+ files | series 3/7+ | ")
    assert "files/s" in text and "MB/s" in text and text.rstrip().endswith("| scanning | 1 failed")
    assert text.endswith("\n")


def test_progress_eta_is_the_time_left():
    """A 35 s run: 5 s of start-up and walking, then 30 s of steady conversion; the ETA follows the real time left."""
    now = [0.0]
    p = Progress(_Tty(), interval=0, clock=lambda: now[0])
    total, etas = 300_000_000, []
    for t in range(36):
        now[0] = float(t)
        done = 0 if t < 5 else total * (t - 5) // 30
        line = p.line(files=1000, files_done=done * 1000 // total, series=10, done=done * 10 // total,
                      bytes_seen=total, bytes_done=done, walked=t >= 1)
        if "ETA" in line:
            left = line.split("ETA ")[1].split(" ")[0]
            h, m, sec = map(int, left.split(":"))
            etas.append((t, h * 3600 + m * 60 + sec))
    assert etas and etas[0][0] <= 7
    for t, eta in etas:
        assert abs(eta - (35 - t)) <= 1, (t, eta)


def test_one_run_at_a_time_in_a_folder(study, tmp_path):
    from medfast.convert.manifest import Manifest

    (tmp_path / "out").mkdir()
    holder = Manifest(tmp_path / "out")  # what a running conversion holds
    try:
        with pytest.raises(ConversionError, match="another medfast convert"):
            bulk.run([study], tmp_path / "out")
    finally:
        holder.close()
    assert bulk.run([study], tmp_path / "out").exit_code == 0


def test_split_series_warns_and_empty_sources_fail(tmp_path):
    import shutil

    files = write_ct_series(tmp_path / "in" / "a", shape=(8, 8, 4))
    (tmp_path / "in" / "b").mkdir()
    (tmp_path / "in" / "b" / "other.txt").write_text("x")
    (tmp_path / "in" / "c").mkdir()
    for path in files[2:]:  # the same series continues two folders later
        shutil.move(path, tmp_path / "in" / "c")
    summary = bulk.run([tmp_path / "in"], tmp_path / "out")
    assert [s["shape"] for s in summary.series] == [[8, 8, 2], [8, 8, 2]]
    assert [s["outputs"][0] for s in summary.series] == ["CT_head_phantom_2.nii.gz", "CT_head_phantom_2a.nii.gz"]
    [warning] = summary.warnings
    assert warning.startswith(str(tmp_path / "in" / "c")) and "separate series" in warning
    (tmp_path / "empty").mkdir()
    empty = bulk.run([tmp_path / "empty"], tmp_path / "out2")
    assert empty.exit_code == exitcodes.NO_VALID_FILES
    assert empty.failures[0]["reason"] == "no DICOM series and no image file medfast reads found"


@pytest.mark.parametrize("name", ["dcm_qa_12bit", "dcm_qa_enh", "dcm_qa_mosaic", "dcm_qa_ts"])
def test_corpus_same_bytes_as_plan_execute(corpus, name, tmp_path):
    """Real scanner data (enhanced, mosaic, every transfer syntax): the stream changes nothing."""
    src = corpus / name / "In"
    summary = bulk.run([src], tmp_path / "bulk")
    execute(plan(src, tmp_path / "ref"))
    got, ref = final_outputs(tmp_path / "bulk"), final_outputs(tmp_path / "ref")
    assert got and got == ref
    assert summary.failures == []


def test_unwritable_name_fails_its_series_only(study, tmp_path):
    out = tmp_path / "out"
    (out / "CT_head_phantom_2.nii.gz").mkdir(parents=True)  # a folder squats the name
    (out / "CT_head_phantom_2.nii.gz" / "x").write_text("keep")
    summary = bulk.run([study], out, Options(conflict=1))  # -w 1: overwrite, so the name is not changed
    assert summary.exit_code == exitcodes.SOME_FAILED
    [failure] = summary.failures
    assert "ct" in failure["source"] and "cannot rename into place" in failure["reason"]
    assert sorted(s["outputs"][0] for s in summary.series) == ["CT_head_phantom_4.nii.gz", "fMRI_phantom_3.nii.gz"]
    assert (out / "CT_head_phantom_2.nii.gz" / "x").read_text() == "keep"


def test_conflict_skip_leaves_foreign_files(tmp_path):
    write_ct_series(tmp_path / "in", shape=(8, 8, 3))
    out = tmp_path / "out"
    out.mkdir()
    (out / "CT_head_phantom_2.nii").write_bytes(b"theirs")
    summary = bulk.run([tmp_path / "in"], out, Options(conflict=0, to="nii"))
    assert summary.exit_code == 0 and summary.series == [] and list(summary) == []
    assert sorted(os.listdir(out)) == [".medfast.manifest.jsonl", "CT_head_phantom_2.nii"]
    assert (out / "CT_head_phantom_2.nii").read_bytes() == b"theirs"


def test_worker_processes_write_what_one_thread_writes(study, tmp_path):
    processes = bulk.run([study], tmp_path / "j2", jobs=2)
    thread = bulk.run([study], tmp_path / "j1", jobs=1)
    assert final_outputs(tmp_path / "j2") == final_outputs(tmp_path / "j1")
    assert [s["outputs"] for s in processes.series] == [s["outputs"] for s in thread.series]
    assert isinstance(bulk._local_executor(2), bulk._Processes)


def _die_on(task):
    """A series task that kills its worker process for the task named 'boom' (a crash, the OOM killer)."""
    if task == "boom":
        os._exit(70)
    return task.upper()


def test_a_worker_that_dies_fails_its_series_only():
    from concurrent.futures.process import BrokenProcessPool

    pool = bulk._Processes(2)
    futures = [pool.submit(_die_on, task) for task in ("a", "boom", "b", "c", "d")]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except BrokenProcessPool:
            results.append("failed")
    later = pool.submit(_die_on, "e").result()  # new series go to a new pool
    pool.shutdown()
    assert results == ["A", "failed", "B", "C", "D"] and later == "E"
