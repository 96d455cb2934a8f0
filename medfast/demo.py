"""``medfast demo``: the main job on a study it makes itself; no download, no input.

It writes a CT head phantom and a 4-D EPI MR series as DICOM, converts the
folder to NIfTI with the same engine as ``medfast convert``, checks that the
NIfTI files hold the phantom's values with the geometry the DICOM headers
describe, times medfast's reader against the usual pydicom recipe on the CT,
and draws a preview of the CT.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import numpy as np

CT_SHAPE, CT_SPACING = (256, 256, 120), (0.9, 0.9, 1.25)
MR_SHAPE, MR_SPACING = (64, 64, 24, 10), (3.0, 3.0, 3.5)


def expected_affine(shape, spacing):
    """The NIfTI affine of a synth series: DICOM LPS turned RAS, rows flipped as dcm2niix does.

    Examples
    --------
    >>> expected_affine((4, 2, 3), (1.0, 1.0, 2.0))[:3, 3].tolist()
    [1.5, -0.5, 0.0]
    """
    nx, ny = shape[:2]
    dx, dy, dz = spacing
    x0 = -(nx - 1) * dx / 2  # synth centres the slice on the z axis
    y0 = -(ny - 1) * dy / 2
    affine = np.diag([-dx, dy, dz, 1.0])
    affine[:3, 3] = [-x0, -(y0 + (ny - 1) * dy), 0.0]
    return affine


def pydicom_recipe(folder):
    """What people write today: dcmread every file, pixel_array, rescale, sort, stack."""
    import pydicom

    slices = [pydicom.dcmread(f) for f in glob.glob(os.path.join(folder, "*.dcm"))]
    slices.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    return np.stack(
        [ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in slices],
        axis=-1,
    )


def _check(name, nifti, want_values, want_affine, report):
    import nibabel as nib

    img = nib.load(nifti)
    got = np.asanyarray(img.dataobj)
    values_ok = got.shape == want_values.shape and np.array_equal(got, want_values)
    geometry_ok = np.allclose(img.affine, want_affine, atol=1e-4)
    report.append(f"  {name:<4} {os.path.basename(nifti)}: shape {got.shape}, "
                  f"values {'match' if values_ok else 'DIFFER'}, affine {'matches' if geometry_ok else 'DIFFERS'}")
    return values_ok and geometry_ok


def run(out_dir, *, ct_shape=CT_SHAPE, mr_shape=MR_SHAPE):
    """Make the study in ``out_dir``, convert it, check it, and return (ok, report lines).

    Examples
    --------
    >>> import tempfile
    >>> ok, lines = run(tempfile.mkdtemp(), ct_shape=(32, 32, 8), mr_shape=(8, 8, 4, 3))
    >>> ok
    True
    """
    import medfast
    from medfast.preview import save_preview
    from medfast.synth import phantom, write_ct_series, write_mr_series

    dicom_dir = os.path.join(out_dir, "dicom")
    nifti_dir = os.path.join(out_dir, "nifti")
    os.makedirs(nifti_dir, exist_ok=True)
    ct_dir, mr_dir = os.path.join(dicom_dir, "ct"), os.path.join(dicom_dir, "mr")
    report = [f"medfast demo in {out_dir}"]

    t0 = time.perf_counter()
    n_ct = len(write_ct_series(ct_dir, ct_shape, CT_SPACING, series_number=2, shuffle_names=True))
    n_mr = len(write_mr_series(mr_dir, mr_shape, MR_SPACING, series_number=3))
    report.append(f"wrote {n_ct} CT and {n_mr} MR DICOM files in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    medfast.convert([dicom_dir], nifti_dir, to="nii.gz")
    report.append(f"converted to NIfTI in {time.perf_counter() - t0:.2f} s:")

    ct_files = sorted(glob.glob(os.path.join(nifti_dir, "*_2.nii.gz")))
    mr_files = sorted(glob.glob(os.path.join(nifti_dir, "*_3.nii.gz")))
    ok = len(ct_files) == 1 and len(mr_files) == 1
    if not ok:
        report.append(f"  expected one CT and one MR NIfTI, found {ct_files + mr_files}")
        return False, report
    # dcm2niix's layout flips the DICOM rows: NIfTI j runs anterior to posterior reversed
    ct_want = phantom(ct_shape)[:, ::-1, :]
    ok &= _check("CT", ct_files[0], ct_want, expected_affine(ct_shape, CT_SPACING), report)
    import pydicom

    mr_want = np.stack(
        [
            np.stack([pydicom.dcmread(os.path.join(mr_dir, f"MR{t * mr_shape[2] + k:05d}.dcm")).pixel_array.T[:, ::-1]
                      for k in range(mr_shape[2])], axis=-1)
            for t in range(mr_shape[3])
        ],
        axis=-1,
    )
    ok &= _check("MR", mr_files[0], mr_want, expected_affine(mr_shape, MR_SPACING), report)

    t0 = time.perf_counter()
    recipe = pydicom_recipe(ct_dir)
    t_pydicom = time.perf_counter() - t0
    t0 = time.perf_counter()
    (vol,) = medfast.read_dicom(ct_dir)
    t_medfast = time.perf_counter() - t0
    same = np.array_equal(vol.array.astype(np.float32), recipe[:, :, :].transpose(1, 0, 2)[:, ::-1, :])
    mb = vol.stored.nbytes / 1e6
    report.append(
        f"read the CT ({mb:.0f} MB): medfast {t_medfast * 1e3:.0f} ms, pydicom recipe {t_pydicom * 1e3:.0f} ms "
        f"({t_pydicom / t_medfast:.1f}x), same values: {same}"
    )
    ok &= same

    png = os.path.join(out_dir, "ct_preview.png")
    save_preview(vol, png)
    report.append(f"preview: {png}")
    return bool(ok), report


def main(argv):
    """``medfast demo [-o DIR]``."""
    parser = argparse.ArgumentParser(prog="medfast demo", description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="medfast-demo", help="folder for the study and its outputs")
    args = parser.parse_args(argv)
    ok, report = run(os.path.abspath(args.output))
    print("\n".join(report))
    print("round trip: OK" if ok else "round trip: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
