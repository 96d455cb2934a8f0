"""``medfast bench``: every anchor runs on the same files, the voxels are checked, table, JSON and plot are written."""
from __future__ import annotations

import json
import struct
import sys

import nibabel as nib
import numpy as np

import medfast
from medfast import bench
from medfast.synth import write_ct_series
from support import require_module


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _inputs(tmp_path):
    write_ct_series(tmp_path / "ct", shape=(32, 32, 6))
    vol = medfast.read_dicom(tmp_path / "ct")[0]
    (tmp_path / "files").mkdir()
    for name in ("ct.nii", "ct.nrrd"):
        medfast.write(vol, tmp_path / "files" / name)
    return [str(tmp_path / "ct"), str(tmp_path / "files")]


def test_bench_runs_every_anchor_and_checks_voxels(tmp_path, capsys):
    for module in ("dicom2nifti", "dcm2niix", "matplotlib"):
        require_module(module)
    out_json, out_png = tmp_path / "b.json", tmp_path / "b.png"
    status = bench.main(_inputs(tmp_path) + ["--repeat", "2", "--json", str(out_json), "--plot", str(out_png)])
    out = capsys.readouterr().out
    assert status == 0
    rows = json.loads(out_json.read_text())["rows"]
    caches = ["warm", "cold"] if bench.CACHE_DROP else ["warm"]
    seen = {(r["job"], r["tool"]) for r in rows}
    assert seen == {("read", "pydicom"), ("to .nii", "dcm2niix"), ("to .nii", "dicom2nifti"),
                    ("read", "nibabel"), ("read", "pynrrd")}
    assert len(rows) == 5 * len(caches) and {r["cache"] for r in rows} == set(caches)
    for r in rows:
        assert r["voxels"].startswith("equal"), r
        assert r["repeat"] == 2 and r["medfast_s"] > 0 and r["tool_s"] > 0
        assert abs(r["ratio"] - r["tool_s"] / r["medfast_s"]) < 1e-9
    assert "speed-up" in out and out.count("equal") == len(rows)
    assert f"cache: {' and '.join(caches)}" in out
    width, height = _png_size(out_png)
    assert width > 300 and height > 200


def test_the_check_catches_different_voxels(tmp_path):
    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    assert bench._check_arrays(a, a.copy()) == "equal (int16)"
    b = a.copy()
    b[1, 1, 1] += 1
    assert bench._check_arrays(a, b) == "DIFFER"
    img = nib.Nifti1Image(a, np.eye(4))
    (tmp_path / "m").mkdir()
    (tmp_path / "t").mkdir()
    nib.save(img, tmp_path / "m" / "x.nii")
    nib.save(nib.Nifti1Image(b, np.eye(4)), tmp_path / "t" / "x.nii")
    assert bench._check_nii(tmp_path / "m", tmp_path / "t") == "DIFFER"
    nib.save(img, tmp_path / "t" / "x.nii")
    assert bench._check_nii(tmp_path / "m", tmp_path / "t") == "equal (int16)"


def test_plot_without_matplotlib_still_draws_bars(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    rows = [{"unit": "u", "job": "read", "tool": "nibabel", "cache": "warm", "medfast_MBps": 300.0,
             "tool_MBps": 100.0, "ratio": 3.0}]
    bench.plot(rows, tmp_path / "p.png")
    assert _png_size(tmp_path / "p.png") == (620, 32)


def test_drop_cache_accepts_the_files(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"x" * 4096)
    assert bench.drop_cache([f]) == bench.CACHE_DROP


def test_units_are_series_and_files(tmp_path):
    paths = _inputs(tmp_path)
    (tmp_path / "files" / "notes.txt").write_text("not an image")
    units = bench.find_units(paths)
    assert [(u.kind, len(u.files)) for u in units] == [("dicom", 6), ("nifti", 1), ("nrrd", 1)]
    assert units[0].single_frames
