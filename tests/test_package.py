"""The package as built: compiled kernels present, errors shaped as promised, CLI answers."""
import subprocess
import sys

import numpy as np
import pytest

import medfast
from medfast import _kernels, exitcodes
from medfast.errors import (
    ConversionError,
    InvalidArgumentError,
    InvalidFileError,
    MedfastError,
    UnsupportedError,
    file_error,
    reading,
)


def test_compiled_kernels_loaded_unless_pure_python_asked():
    # A missing build must fail loudly, never fall back silently.
    if _kernels.PURE_PYTHON:
        assert not _kernels.COMPILED
    else:
        assert _kernels.COMPILED, "compiled kernels did not load; set MEDFAST_PURE_PYTHON=1 to test the twins"


def test_every_kernel_name_is_bound():
    for name in _kernels.KERNELS:
        assert callable(getattr(_kernels, name))
    impl = "compiled" if _kernels.COMPILED else "_reference"
    for name in _kernels.KERNELS:
        module = getattr(_kernels, name).__module__ or ""
        assert (impl == "_reference") == module.endswith("_reference"), (name, module)


def test_errors_inherit_builtins():
    assert issubclass(InvalidFileError, ValueError) and issubclass(InvalidFileError, MedfastError)
    assert issubclass(UnsupportedError, NotImplementedError)
    assert issubclass(InvalidArgumentError, ValueError)


def test_file_error_names_file_field_value():
    err = file_error("x.dcm", "BitsAllocated", 7, "must be 1, 8, 12, 16, 32 or 64")
    assert str(err) == "x.dcm: BitsAllocated=7: must be 1, 8, 12, 16, 32 or 64"


@pytest.mark.parametrize("value, shown", [
    (None, "x.dcm: Rows: bad"),
    ("1.2.3", "x.dcm: Rows=1.2.3: bad"),
    (b"hello", 'x.dcm: Rows="hello": bad'),
    (b"\x00\x01DICM", "x.dcm: Rows=00 01 44 49 43 4d: bad"),
    ((384, 384), "x.dcm: Rows=384 x 384: bad"),
    ([np.float64(1.5), np.int16(2)], "x.dcm: Rows=[1.5, 2]: bad"),
])
def test_file_error_shows_values_without_python_literals(value, shown):
    assert str(file_error("x.dcm", "Rows", value, "bad")) == shown


def test_reading_names_the_cause_without_python_quoting():
    with pytest.raises(InvalidFileError) as info:
        with reading("x.nii", "header"):
            raise KeyError("dim")
    assert str(info.value) == "x.nii: cannot read header: no dim (KeyError)"


def test_each_error_class_has_a_documented_exit_status():
    documented = {v for k, v in vars(exitcodes).items() if k.isupper()}
    for cls in (MedfastError, InvalidFileError, UnsupportedError, InvalidArgumentError, ConversionError):
        assert cls.exit_status in documented, cls


def test_reading_wraps_foreign_errors_and_chains():
    with pytest.raises(InvalidFileError, match="bad.nii") as info:
        with reading("bad.nii"):
            raise IndexError("boom")
    assert isinstance(info.value.__cause__, IndexError)
    with pytest.raises(FileNotFoundError):
        with reading("gone.nii"):
            raise FileNotFoundError("gone.nii")


def test_version_command():
    out = subprocess.run([sys.executable, "-m", "medfast", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(f"medfast {medfast.__version__}")


def test_unknown_command_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "medfast", "nope"], capture_output=True, text=True)
    assert out.returncode == exitcodes.INVALID_PARAM and out.stderr == "medfast: unknown command nope (see 'medfast -h')\n"


def test_reading_wraps_struct_and_parser_errors():
    import struct

    from pydicom.errors import InvalidDicomError

    for exc in (struct.error("unpack requires a buffer of 4 bytes"), InvalidDicomError("no DICM")):
        with pytest.raises(InvalidFileError, match="x.dcm") as info:
            with reading("x.dcm"):
                raise exc
        assert info.value.__cause__ is exc


def test_reading_lets_programming_errors_through():
    with pytest.raises(NameError):
        with reading("x.dcm"):
            raise NameError("a bug, not a broken file")


def test_version_in_a_source_tree_says_what_is_imported_and_what_to_type(tmp_path):
    # A clone's root: Python finds ./medfast (no compiled kernels) before the installed package.
    import os
    import shutil

    package = os.path.dirname(medfast.__file__)
    shutil.copytree(package, tmp_path / "medfast", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_stack.pyx").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "MEDFAST_PURE_PYTHON"}
    out = subprocess.run([sys.executable, "-m", "medfast", "version"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "kernels NumPy reference (not compiled)" in out.stdout
    assert f"Python imported the source tree {tmp_path / 'medfast'}" in out.stderr
    assert "not the installed medfast in" in out.stderr and "Run from another folder" in out.stderr
    assert "C compiler" not in out.stderr
