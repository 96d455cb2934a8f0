"""``medfast convert`` of non-DICOM sources (issue 12): every nibabel test file to every ``--to`` format.

One bulk run a target format over a copy of nibabel's whole test-data folder
(NIfTI-1/2, MINC1, MINC2, PAR/REC, and DICOM files beside them; its only
Analyze file lacks its ``.img``, so an Analyze pair that nibabel writes is added). Each source
nibabel reads must come out under its stem with the target's extension, and
hold the same voxels in world space as nibabel's own reading of the source:
the output's voxel grid may order or flip the axes differently (MINC keeps
its dimension order), so voxels are compared through the map from source
indices to output indices that the two affines give. The output is read by
nibabel (NIfTI, MINC2) or pynrrd (NRRD, LPS space turned to RAS).
"""
from __future__ import annotations

import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medfast import exitcodes
from medfast.convert import bulk, cli, images
from medfast.convert.progress import Progress

DATA = Path(nib.__file__).parent / "tests" / "data"


def _nibabel_sources(folder):
    """Sources nibabel reads with their voxels: {name: (data, affine)} (its reading is the oracle)."""
    import warnings

    found = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or images.detect(str(path)) is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                img = nib.load(path)
                data = np.asanyarray(img.dataobj)
            except Exception:  # noqa: BLE001 - nibabel cannot read it: not an oracle case
                continue
        if data.ndim >= 3:
            found[path.name] = (_spatial_first(data, _minc_spatial(img)), img.affine)
    return found


def _minc_spatial(img):
    """For a nibabel MINC image, which data axes are spatial (MINC puts time first); else None."""
    minc = getattr(img.dataobj, "minc_file", None)
    return None if minc is None else [name.endswith("space") for name in minc._dim_names]


def _spatial_first(data, spatial=None):
    """The data with its spatial axes first, in their order (the affine's columns), the others after."""
    if spatial is None:
        return data
    order = [i for i, s in enumerate(spatial) if s] + [i for i, s in enumerate(spatial) if not s]
    return np.transpose(data, order)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import shutil

    folder = tmp_path_factory.mktemp("nibabel") / "data"
    shutil.copytree(DATA, folder)
    affine = np.array([[-2.0, 0, 0, 40], [0, 2.5, 0, -30], [0, 0, 3, -20], [0, 0, 0, 1]])
    data = np.arange(5 * 6 * 4, dtype=np.int16).reshape(5, 6, 4)
    nib.save(nib.AnalyzeImage(data, affine), folder / "made_by_nibabel.hdr")
    return folder


@pytest.fixture(scope="module")
def sources(folder):
    found = _nibabel_sources(folder)
    kinds = {images.detect(str(folder / name)) for name in found}
    assert kinds >= {"nifti", "analyze", "minc1", "minc2", "parrec"}, kinds
    return found


def _read_output(path):
    if path.endswith((".nrrd", ".nhdr")):
        import nrrd

        data, header = nrrd.read(path)
        directions = np.asarray(header["space directions"], dtype=float)
        spatial = ~np.isnan(directions).any(axis=1)
        data, directions = _spatial_first(data, list(spatial)), directions[spatial]
        lps_to_ras = np.diag([-1.0, -1.0, 1.0]) if header["space"] == "left-posterior-superior" else np.eye(3)
        affine = np.eye(4)
        affine[:3, :3] = lps_to_ras @ directions.T
        affine[:3, 3] = lps_to_ras @ np.asarray(header["space origin"], dtype=float)
        return data, affine
    img = nib.load(path)
    return _spatial_first(np.asanyarray(img.dataobj), _minc_spatial(img)), img.affine


def _in_source_order(out, out_affine, src_shape, src_affine):
    """The output's voxels rearranged onto the source's grid, or an AssertionError naming the mismatch."""
    m = np.linalg.inv(out_affine) @ src_affine  # source index -> output index
    perm = np.rint(m[:3, :3])
    assert np.allclose(m[:3, :3], perm, atol=1e-3) and sorted(np.abs(perm).sum(axis=0)) == [1, 1, 1], \
        f"the grids are not the same voxels in another order:\n{m}"
    axes = [int(np.flatnonzero(perm[:, c])[0]) for c in range(3)]  # output axis of each source axis
    view = np.transpose(out, axes + list(range(3, out.ndim)))
    for c in range(3):
        sign, shift = perm[axes[c], c], m[axes[c], 3]
        expected = 0 if sign > 0 else src_shape[c] - 1
        assert abs(shift - expected) < 1e-3, f"axis {c}: origin off by {shift - expected} voxels"
        if sign < 0:
            view = np.flip(view, c)
    return view


@pytest.mark.parametrize("to", list(images.TARGETS))
def test_every_nibabel_file_to_every_format(folder, sources, to, tmp_path):
    summary = bulk.run([folder], tmp_path, to=to, progress=Progress(enabled=False))
    assert summary.exit_code == exitcodes.SOME_FAILED  # nibabel ships PAR files without their REC, on purpose
    failed = {os.path.basename(f["source"]): f["reason"] for f in summary.failures}
    ext = images.TARGETS[to][0]
    wrong = []
    for name, (data, affine) in sources.items():
        out = tmp_path / (images.stem(name) + ext)
        try:
            assert name not in failed, failed.get(name)
            assert out.is_file(), f"no {out.name}"
            got, got_affine = _read_output(str(out))
            view = _in_source_order(got, got_affine, data.shape, affine)
            assert view.shape[:3] == data.shape[:3], f"shape {view.shape} for {data.shape}"
            want = np.asarray(data, dtype=np.float64).reshape(data.shape[:3] + (-1,))
            have = np.asarray(view, dtype=np.float64).reshape(view.shape[:3] + (-1,))
            assert have.shape == want.shape, f"shape {view.shape} for {data.shape}"
            assert np.allclose(have, want, rtol=1e-5, atol=1e-5, equal_nan=True), "other voxel values"
        except AssertionError as err:
            wrong.append(f"{name} -> {out.name}: {str(err).splitlines()[0]}")
    assert not wrong, "\n".join(wrong)


def test_names_mirror_the_source_folders(tmp_path):
    src = tmp_path / "in" / "sub" / "deeper"
    src.mkdir(parents=True)
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nib.save(nib.Nifti1Image(data, np.eye(4)), src / "t1.nii.gz")
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "in" / "t1.nii")  # the same stem, another folder
    summary = bulk.run([tmp_path / "in"], tmp_path / "out", to="mnc", progress=Progress(enabled=False))
    assert summary.exit_code == 0
    assert sorted(s["outputs"][0] for s in summary.series) == ["sub/deeper/t1.mnc", "t1.mnc"]
    again = bulk.run([tmp_path / "in"], tmp_path / "out", to="mnc", progress=Progress(enabled=False))
    assert [s["status"] for s in again.series] == ["skipped", "skipped"]


def test_detached_nrrd_keeps_its_data_file_name_under_a_conflict(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    nib.save(nib.Nifti1Image(np.ones((2, 3, 4), np.uint8), np.eye(4)), src / "t1.nii")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "t1.nhdr").write_text("someone else's")
    summary = bulk.run([src], tmp_path / "out", to="nhdr", progress=Progress(enabled=False))
    assert summary.series[0]["outputs"] == ["t1a.nhdr", "t1a.raw"]
    import nrrd

    data, _ = nrrd.read(str(tmp_path / "out" / "t1a.nhdr"))
    assert data.shape == (2, 3, 4) and (data == 1).all()


def test_dicom_to_detached_nrrd_is_refused_per_series(tmp_path, capsys):
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "in", shape=(8, 8, 3))
    assert cli.main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--to", "nhdr"]) == exitcodes.NO_VALID_FILES
    err = capsys.readouterr().err
    assert "DICOM series to --to nhdr: not supported (use nrrd, nii.gz, nii or mnc)" in err


def test_an_archive_mixing_dicom_and_nifti(tmp_path):
    import zipfile

    from medfast.synth import write_ct_series

    dicom = write_ct_series(tmp_path / "ct", shape=(8, 8, 3))
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nib.save(nib.Nifti1Image(data, np.diag([2.0, 2.0, 2.0, 1.0])), tmp_path / "t1.nii.gz")
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in dicom:
            zf.write(path, f"dicom/{os.path.basename(path)}")
        zf.write(tmp_path / "t1.nii.gz", "anat/t1.nii.gz")
    summary = bulk.run([archive], tmp_path / "out", to="nrrd", progress=Progress(enabled=False))
    assert summary.exit_code == 0
    assert sorted(o for s in summary.series for o in s["outputs"]) == [
        "CT_head_phantom_2.json", "CT_head_phantom_2.nrrd", "anat/t1.nrrd"]
    got, affine = _read_output(str(tmp_path / "out" / "anat" / "t1.nrrd"))
    assert (got == data).all() and np.allclose(affine, np.diag([2.0, 2.0, 2.0, 1.0]))
