"""Bulk inputs: zip and tar archives give the folder's outputs; unsafe archives fail alone; walks end."""
from __future__ import annotations

import io
import os
import tarfile
import zipfile

import pytest

from medfast.convert import bulk
from medfast.convert.sources import Limits, extract, units, walk
from medfast.errors import InvalidFileError
from medfast.synth import write_ct_series, write_mr_series

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    write_ct_series(root / "ct", shape=(16, 16, 6), series_number=2)
    write_mr_series(root / "mr", shape=(8, 8, 3, 2), series_number=3)
    return root


def _final(out):
    return {n: (out / n).read_bytes() for n in sorted(os.listdir(out)) if not n.startswith(".")}


@pytest.fixture(scope="module")
def folder_outputs(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("folder_out")
    bulk.run([study], out)
    return _final(out)


def test_zip_input(study, folder_outputs, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder, _, names in os.walk(study):
            for name in sorted(names):
                path = os.path.join(folder, name)
                zf.write(path, os.path.relpath(path, study))
    summary = bulk.run([archive], tmp_path / "out")
    assert summary.exit_code == 0
    assert _final(tmp_path / "out") == folder_outputs
    assert sorted(os.listdir(tmp_path / "out")) == sorted([*folder_outputs, ".medfast.manifest.jsonl"])
    again = bulk.run([archive], tmp_path / "out")  # the extracted members keep their identity: all skipped
    assert {s["status"] for s in again.series} == {"skipped"}


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_tar_input(study, folder_outputs, tmp_path, mode):
    archive = tmp_path / ("export.tar" + (".gz" if mode.endswith("gz") else ""))
    with tarfile.open(archive, mode) as tf:
        tf.add(study, arcname="export")
    summary = bulk.run([archive], tmp_path / "out")
    assert summary.exit_code == 0 and summary.files == 6 + 6
    assert _final(tmp_path / "out") == folder_outputs
    assert all(s["status"] == "converted" for s in summary.series)


def _tar_with(tmp_path, member, data=b"x", **attrs):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo(member)
        for k, v in attrs.items():
            setattr(info, k, v)
        tf.addfile(info, io.BytesIO(data) if info.isfile() else None)
        if info.isfile():
            info.size = len(data)
    return archive


@pytest.mark.parametrize("member, attrs, reason", [
    ("../escape.dcm", {}, "outside"),
    ("/abs/escape.dcm", {}, "outside"),
    ("a/../../escape.dcm", {}, "outside"),
    ("link", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "symlink"),
    ("hard", {"type": tarfile.LNKTYPE, "linkname": "../../outside"}, "hard link"),
])
def test_unsafe_tar_members_fail_the_archive(tmp_path, member, attrs, reason):
    archive = _tar_with(tmp_path, member, **attrs)
    target = tmp_path / "x"
    with pytest.raises(InvalidFileError, match=reason) as err:
        extract(archive, target)
    assert str(archive) in str(err.value)
    assert not target.exists() and not (tmp_path / "escape.dcm").exists()


def test_unsafe_zip_member_fails_alone(study, tmp_path):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../slip.dcm", b"evil")
    summary = bulk.run([archive, study / "ct"], tmp_path / "out")
    assert summary.exit_code == 8
    [failure] = summary.failures
    assert failure["source"] == str(archive) and "outside" in failure["reason"]
    assert [s["shape"] for s in summary.series] == [[16, 16, 6]]  # the folder after it still converted
    assert not (tmp_path / "slip.dcm").exists() and not (tmp_path.parent / "slip.dcm").exists()


def test_archive_bombs_are_bounded(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros", b"\0" * 5_000_000)
        for i in range(5):
            zf.writestr(f"m{i}", b"")
    with pytest.raises(InvalidFileError, match="bytes decompressed"):
        extract(archive, tmp_path / "a", Limits(bytes=1_000_000))
    with pytest.raises(InvalidFileError, match="more than 3 members"):
        extract(archive, tmp_path / "b", Limits(members=3))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert len(extract(archive, tmp_path / "c")) == 6


def test_walk_survives_symlink_loops(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f1").write_bytes(b"1")
    (tmp_path / "a" / "f0").write_bytes(b"0")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")
    os.symlink(tmp_path / "a" / "b", tmp_path / "a" / "again")
    os.symlink(tmp_path / "nowhere", tmp_path / "a" / "dangling")
    found = [os.path.relpath(f.path, tmp_path) for files in walk(str(tmp_path / "a")) for f in files]
    assert sorted(found) == ["a/b/f1", "a/f0"] or sorted(found) == ["a/again/f1", "a/f0"]
    assert len(found) == 2


def test_output_inside_source_is_not_walked(study, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(study / "ct", src)
    first = bulk.run([src], src / "out")
    second = bulk.run([src], src / "out")
    assert first.files == second.files == 6
    assert [s["status"] for s in second.series] == ["skipped"]


def test_single_files_and_missing_sources(study, tmp_path):
    files = sorted(str(p) for p in (study / "ct").iterdir())
    [unit] = list(units(files[:1], str(tmp_path)))
    assert unit.parent == "ct" and [f.path for f in unit.files] == files[:1]
    with pytest.raises(Exception, match="no such file"):
        bulk.run([tmp_path / "nope"], tmp_path / "out")
