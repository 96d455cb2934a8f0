import os

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
