import os
import pathlib

import pytest

from medfast._atomic import _UMASK, atomic_path


def test_atomic_path_renames_on_success(tmp_path):
    out = tmp_path / "a.nii"
    with atomic_path(out) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        open(tmp, "wb").write(b"x")
        assert not out.exists()
    assert out.read_bytes() == b"x"
    assert os.listdir(tmp_path) == ["a.nii"]
    # not mkstemp's 0600: the mode an ordinary open() gives
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~_UMASK


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "a.nii"
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            open(tmp, "wb").write(b"half")
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []


# ---- group commits, the journal, the folder lock, signals ---------------------------------


def _write(path, text):
    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def test_staged_files_keep_temporary_names_until_the_commit(tmp_path):
    from medfast._atomic import commit, staged

    with staged() as pairs:
        _write(tmp_path / "a.nii.gz", "image")
        _write(tmp_path / "sub" / "a.json", "sidecar") if (tmp_path / "sub").mkdir() is None else None
    names = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert len(names) == 2 and all(n.startswith(".medfast-") and n.endswith(".part") for n in names)
    commit(pairs, tmp_path)
    assert (tmp_path / "a.nii.gz").read_text() == "image" and (tmp_path / "sub" / "a.json").read_text() == "sidecar"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.json", "a.nii.gz"]


def test_a_failed_block_leaves_nothing(tmp_path):
    from medfast._atomic import together

    with pytest.raises(RuntimeError):
        with together(tmp_path):
            _write(tmp_path / "a.nii", "image")
            raise RuntimeError("the sidecar failed")
    assert os.listdir(tmp_path) == []


def test_recover_finishes_a_commit_a_kill_cut(tmp_path):
    """A journal left by a kill between two renames: the next run's recover gives the rest their names."""
    import json

    from medfast._atomic import recover, staged

    with staged() as pairs:
        _write(tmp_path / "a.nii", "image")
        _write(tmp_path / "a.json", "sidecar")
    (tmp_path / ".medfast-commit-x.journal").write_text(
        json.dumps([[os.path.relpath(t, tmp_path), os.path.relpath(f, tmp_path)] for t, f in pairs]))
    os.replace(*pairs[0])  # the kill came after the first rename
    (tmp_path / ".medfast-stray.part").write_text("half")  # a write the kill cut short
    assert recover(tmp_path) == [str(tmp_path / "a.json")]
    assert sorted(os.listdir(tmp_path)) == ["a.json", "a.nii"]
    assert (tmp_path / "a.json").read_text() == "sidecar"


def test_a_rename_that_fails_takes_the_whole_group_back(tmp_path):
    from medfast._atomic import together
    from medfast.errors import ConversionError

    (tmp_path / "b.json").mkdir()  # a folder squats the second name
    (tmp_path / "b.json" / "keep").write_text("x")
    with pytest.raises(ConversionError, match="b.json: cannot write"):
        with together(tmp_path):
            _write(tmp_path / "b.nii", "image")
            _write(tmp_path / "b.json", "sidecar")
    assert sorted(os.listdir(tmp_path)) == ["b.json"] and os.listdir(tmp_path / "b.json") == ["keep"]


def test_one_holder_a_folder(tmp_path):
    from medfast._atomic import FolderBusyError, lock_folder, output_folder

    with output_folder(tmp_path, "medfast dcm2niix"):
        with pytest.raises(FolderBusyError, match="another medfast dcm2niix run is writing into this folder"):
            lock_folder(tmp_path, "medfast dcm2niix")
    lock_folder(tmp_path).release()  # released when the block ended


def test_a_signal_during_a_commit_waits_for_it(tmp_path):
    """SIGTERM in the middle of the renames: the group gets all its names, then Interrupted is raised."""
    import signal

    from medfast._atomic import Interrupted, commit, interruptible, staged

    with staged() as pairs:
        for name in ("c.nii", "c.json", "c.bval"):
            _write(tmp_path / name, name)
    renamed = []
    real = os.replace

    def replace_then_signal(src, dst):
        real(src, dst)
        if not dst.endswith(".journal"):
            renamed.append(dst)
            if len(renamed) == 1:
                os.kill(os.getpid(), signal.SIGTERM)

    with interruptible(), pytest.raises(Interrupted) as stop:
        os.replace = replace_then_signal
        try:
            commit(pairs, tmp_path)
        finally:
            os.replace = real
    assert stop.value.exit_code == 143 and len(renamed) == 3
    assert sorted(os.listdir(tmp_path)) == ["c.bval", "c.json", "c.nii"]


def test_stop_writing_removes_strays_keeps_journaled_and_refuses_new_writes(tmp_path):
    """A stopped run's folder: temporaries no journal names go, a journal's stay for recover, nothing new starts;
    recover (the next run) finishes the journal and lifts the stop."""
    from medfast import _atomic
    from medfast._atomic import recover, staged, stop_writing
    from medfast.errors import ConversionError

    with staged() as pairs:
        with atomic_path(tmp_path / "a.nii") as tmp:
            pathlib.Path(tmp).write_text("a")
    (tmp_path / "sub").mkdir()
    with staged() as others:
        with atomic_path(tmp_path / "sub" / "b.json") as tmp:
            pathlib.Path(tmp).write_text("b")
    _atomic._write_journal(str(tmp_path), [[os.path.relpath(t, tmp_path), os.path.relpath(f, tmp_path)]
                                           for t, f in pairs])
    stop_writing(tmp_path)
    left = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert [n for n in left if n.endswith(".part")] == [os.path.basename(pairs[0][0])]
    assert not os.path.exists(others[0][0])
    with pytest.raises(ConversionError, match="the run is stopping"):
        with atomic_path(tmp_path / "c.nii"):
            pass
    assert recover(tmp_path) == [str(tmp_path / "a.nii")]
    with atomic_path(tmp_path / "c.nii") as tmp:
        pathlib.Path(tmp).write_text("c")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.nii", "c.nii"]
