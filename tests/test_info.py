"""``medfast info``: what a DICOM folder holds, from headers only."""
from __future__ import annotations

from medfast import cli, exitcodes
from medfast.synth import write_ct_series


def test_info_lists_corpus_series(corpus, capsys):
    assert cli.main(["info", str(corpus / "dcm_qa_fmap" / "In")]) == 0
    out = capsys.readouterr().out
    assert out.count("series 801 ") == 2 and "field map (Hz)" in out
    assert "shape 128x128x80  spacing 2x2x2 mm" in out and "dtype int16" in out
    assert "8 series from 353 DICOM files (0 other files skipped)" in out


def test_info_reports_warnings_and_skipped_files(tmp_path, capsys):
    import os

    paths = write_ct_series(tmp_path, shape=(8, 8, 5))
    os.remove(paths[2])  # a missing slice
    (tmp_path / "readme.txt").write_text("not DICOM")
    assert cli.main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "shape 8x8x4" in out and "files 4" in out
    assert "warning: uneven slice spacing" in out and "1 slice(s) appear to be missing" in out
    assert "(1 other files skipped)" in out


def test_info_on_empty_folder_fails(tmp_path, capsys):
    assert cli.main(["info", str(tmp_path)]) == exitcodes.NO_VALID_FILES
    out, err = capsys.readouterr()
    assert "0 series" in out and f"{tmp_path}: no DICOM image series found" in err


def test_info_on_missing_path_fails(tmp_path, capsys):
    assert cli.main(["info", str(tmp_path / "nowhere")]) == exitcodes.INPUT_INVALID
    assert capsys.readouterr().err == f"medfast info: {tmp_path / 'nowhere'}: no such file or folder\n"
