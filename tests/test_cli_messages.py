"""What a user sees when something is wrong: one line naming the path and the field, no traceback,
the exit status of ``medfast.exitcodes`` (the README's table), the same in every command."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from medfast import exitcodes
from medfast.synth import write_ct_series


def medfast(*args, cwd):
    return subprocess.run([sys.executable, "-m", "medfast", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def one_line(result, status, line):
    """The command exited ``status`` and said exactly ``line`` on stderr."""
    assert "Traceback" not in result.stderr
    assert result.stderr == line + "\n", result.stderr
    assert result.returncode == status, (result.returncode, result.stderr)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "ct"
    write_ct_series(folder, shape=(16, 16, 4))
    return folder


@pytest.mark.parametrize("command", ["info", "preview", "bench"])
def test_missing_path_is_input_invalid_in_every_command(command, tmp_path):
    args = [command, "/no/such/path"] + (["-o", "x.png"] if command == "preview" else [])
    one_line(medfast(*args, cwd=tmp_path), exitcodes.INPUT_INVALID,
             f"medfast {command}: /no/such/path: no such file or folder")


@pytest.mark.parametrize("value, reason", [
    ("-5", "must be 1 or more, not -5"),
    ("0", "must be 1 or more, not 0"),
    ("abc", "must be a whole number, not abc"),
    ("99999", "must be at most 4096, not 99999"),
])
def test_bad_height_is_an_invalid_parameter(value, reason, series, tmp_path):
    one_line(medfast("preview", series, "-o", "p.png", "--height", value, cwd=tmp_path), exitcodes.INVALID_PARAM,
             f"medfast preview: argument --height: {reason} (see 'medfast preview -h')")
    assert not (tmp_path / "p.png").exists()


def test_bad_repeat_is_an_invalid_parameter(series, tmp_path):
    one_line(medfast("bench", series, "--repeat", "0", cwd=tmp_path), exitcodes.INVALID_PARAM,
             "medfast bench: argument --repeat: must be 1 or more, not 0 (see 'medfast bench -h')")


def test_missing_option_and_unknown_command(tmp_path):
    one_line(medfast("preview", cwd=tmp_path), exitcodes.INVALID_PARAM,
             "medfast preview: the following arguments are required: path, -o/--output (see 'medfast preview -h')")
    one_line(medfast("nope", cwd=tmp_path), exitcodes.INVALID_PARAM, "medfast: unknown command nope (see 'medfast -h')")


def test_preview_refuses_other_formats(series, tmp_path):
    for command in (["preview", series, "-o", "p.jpg"], ["bench", series, "--plot", "p.jpg"]):
        one_line(medfast(*command, cwd=tmp_path), exitcodes.INVALID_PARAM,
                 f"medfast {command[0]}: p.jpg: output format .jpg: only PNG is written; name the file .png")
    assert not (tmp_path / "p.jpg").exists()


def test_preview_into_a_missing_folder_is_output_invalid(series, tmp_path):
    one_line(medfast("preview", series, "-o", "no/p.png", cwd=tmp_path), exitcodes.OUTPUT_INVALID,
             f"medfast preview: no/p.png: cannot write: {tmp_path / 'no'} does not exist")


def test_not_an_image_names_the_file_once(tmp_path):
    (tmp_path / "fake.dcm").write_bytes(b"hello world, this is not DICOM")
    for command in (["info", "fake.dcm"], ["preview", "fake.dcm", "-o", "p.png"]):
        result = medfast(*command, cwd=tmp_path)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        assert result.stderr.count("fake.dcm") == 1, result.stderr
        assert result.returncode == exitcodes.NO_VALID_FILES


def test_not_an_image_shows_no_python_literal(tmp_path):
    (tmp_path / "fake.dcm").write_bytes(b"hello world, this is not DICOM")
    result = medfast("info", "fake.dcm", cwd=tmp_path)
    assert "b'" not in result.stderr and "'" not in result.stderr


def test_empty_folder_has_no_valid_files(tmp_path):
    (tmp_path / "empty").mkdir()
    one_line(medfast("preview", "empty", "-o", "p.png", cwd=tmp_path), exitcodes.NO_VALID_FILES,
             "medfast preview: empty: no image series found")
    result = medfast("info", "empty", cwd=tmp_path)
    assert result.returncode == exitcodes.NO_VALID_FILES
    assert result.stderr == "medfast info: empty: no DICOM image series found\n"


def test_corrupt_file_is_corrupt(tmp_path):
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.zeros((8, 8, 8), np.int16), np.eye(4)), tmp_path / "cut.nii")
    data = (tmp_path / "cut.nii").read_bytes()
    (tmp_path / "cut.nii").write_bytes(data[: len(data) // 2])
    result = medfast("preview", "cut.nii", "-o", "p.png", cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("medfast preview: cut.nii: ") and "b'" not in result.stderr
    assert result.returncode == exitcodes.CORRUPT_FILE


def test_missing_decoder_names_the_transfer_syntax(tmp_path):
    import pydicom
    from pydicom.encaps import encapsulate

    write_ct_series(tmp_path / "ct", shape=(16, 16, 1))
    path = next((tmp_path / "ct").iterdir())
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no Python decoder exists
    ds.PixelData = encapsulate([b"\0" * 64])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    result = medfast("preview", path, "-o", "p.png", cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert f"{path}: TransferSyntaxUID=1.2.840.10008.1.2.4.100: no decoder for this transfer syntax in pydicom" in result.stderr
    assert result.returncode == exitcodes.NO_VALID_FILES


def test_missing_decoder_plugin_says_what_to_install(monkeypatch):
    from medfast.dicom import pixels

    hint = pixels._install_hint(["gdcm - requires python-gdcm>=3.0.10",
                                 "pylibjpeg - requires pylibjpeg>=2.0 and pylibjpeg-libjpeg>=2.1"])
    assert hint == 'pip install "python-gdcm>=3.0.10" or pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"'


def _interrupt(args, cwd):
    """Start a command that blocks reading a FIFO, press Ctrl-C once it reads, return the result."""
    fifo = cwd / "slow.nii"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "medfast", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, writer = time.monotonic() + 120, None
    while writer is None:  # opening the write end succeeds once the command has opened the FIFO to read
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as err:
            assert err.errno == errno.ENXIO and time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    try:
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(writer)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("command", ["info", "preview", "bench"])
def test_ctrl_c_is_one_line_and_130(command, tmp_path):
    args = [command, "slow.nii"] + (["-o", "p.png"] if command == "preview" else [])
    one_line(_interrupt(args, tmp_path), exitcodes.INTERRUPTED, f"medfast {command}: interrupted")
