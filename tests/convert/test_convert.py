"""``medfast.convert`` and ``medfast convert``: names, formats, sidecars, atomic and deterministic output.

The data are synthetic CT and 4-D MR series from ``medfast.synth``; the
voxels written are compared with ``medfast.read_dicom`` (itself compared with
dcm2niix on the corpus) and with nibabel/pynrrd reading the files back.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

import medfast
from medfast.convert.cli import main
from medfast.synth import write_ct_series, write_mr_series

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    write_ct_series(root / "ct", shape=(32, 24, 10), series_number=2, shuffle_names=True)
    write_mr_series(root / "mr", shape=(16, 16, 6, 3), series_number=3)
    return root


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_convert_names_sidecars_and_voxels(study, tmp_path):
    import nibabel as nib

    written = medfast.convert([study], tmp_path)
    names = sorted(os.path.basename(p) for p in written)
    vols = {v.meta["SeriesNumber"]: v for v in medfast.read_dicom(study)}
    want = sorted(f"{v.meta['ProtocolName'].replace(' ', '_')}_{n}{ext}" for n, v in vols.items() for ext in (".nii.gz", ".json"))
    assert names == want
    for number, vol in vols.items():
        base = tmp_path / f"{vol.meta['ProtocolName'].replace(' ', '_')}_{number}"
        img = nib.load(f"{base}.nii.gz")
        np.testing.assert_array_equal(np.asanyarray(img.dataobj), vol.array)
        np.testing.assert_allclose(img.affine, vol.affine, atol=1e-5)
        side = json.loads(open(f"{base}.json").read())
        assert side["SeriesNumber"] == number
        assert side["Modality"] == vol.meta["Modality"]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".medfast-")], "temporary files left behind"


def test_gzip_output_is_deterministic(study, tmp_path):
    first = medfast.convert(study / "ct", tmp_path / "a")
    second = medfast.convert(study / "ct", tmp_path / "b")
    gz = [p for p in first if p.endswith(".nii.gz")]
    assert gz and open(gz[0], "rb").read(10)[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert [_digest(p) for p in first] == [_digest(p) for p in second]


def test_name_conflicts_follow_dcm2niix(study, tmp_path):
    # A second plan into the same folder meets the first one's files, as dcm2niix
    # run twice does: -w 2 adds "a", -w 0 skips. (medfast.convert itself resumes.)
    from medfast.convert import Options, execute, plan

    first = execute(plan(study / "ct", tmp_path, Options(to="nii")), Options(to="nii"))
    again = execute(plan(study / "ct", tmp_path, Options(to="nii")), Options(to="nii"))
    images = [os.path.basename(p) for p in again if p.endswith(".nii")]
    assert len(images) == 1 and images[0].endswith("a.nii")
    assert images[0] != os.path.basename([p for p in first if p.endswith(".nii")][0])
    assert plan(study / "ct", tmp_path, Options(to="nii", conflict=0)) == []


def test_rerun_resumes_instead_of_duplicating(study, tmp_path):
    first = medfast.convert(study / "ct", tmp_path, to="nii")
    again = medfast.convert(study / "ct", tmp_path, to="nii")
    assert sorted(again) == sorted(first)
    assert sorted(f for f in os.listdir(tmp_path) if not f.startswith(".")) == sorted(os.path.basename(p) for p in first)


@pytest.mark.parametrize("to", ["nrrd", "mnc"])
def test_other_formats_from_the_same_plan(study, tmp_path, to):
    written = medfast.convert(study / "ct", tmp_path, to=to, sidecar=False)
    assert len(written) == 1 and written[0].endswith("." + to)
    [vol] = medfast.read_dicom(study / "ct")
    back = medfast.read(written[0])
    # the same voxels at the same places: compare in the closest RAS orientation, whatever the file's axis order
    a, b = _canonical(vol.array, vol.affine), _canonical(back.array, back.affine)
    np.testing.assert_allclose(b[1], a[1], atol=1e-4)
    np.testing.assert_array_equal(b[0], a[0])


def _canonical(array, affine):
    import nibabel as nib

    img = nib.as_closest_canonical(nib.Nifti1Image(np.asarray(array, dtype=np.float64), affine))
    return np.asanyarray(img.dataobj), img.affine


def test_cli(study, tmp_path, capsys):
    assert main([str(study / "mr"), "-o", str(tmp_path), "--to", "nii", "-f", "%s_%p"]) == 0
    printed = capsys.readouterr().out.split()
    # the bulk engine's manifest and work folder are dot-files beside the outputs
    assert sorted(os.path.basename(p) for p in printed) == sorted(f for f in os.listdir(tmp_path) if not f.startswith("."))
    assert any(p.endswith(".nii") for p in printed)


def test_cli_refuses_unknown_scheduler(tmp_path, capsys, monkeypatch):
    from medfast.convert import distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    assert main([str(tmp_path), "-o", str(tmp_path), "--scheduler", "tcp://nowhere:1"]) == 12
    assert "--scheduler" in capsys.readouterr().err


def test_bad_format_is_refused(tmp_path):
    with pytest.raises(medfast.InvalidArgumentError, match="tiff"):
        medfast.convert(tmp_path, tmp_path, to="tiff")
