"""Output names when series collide: dcm2niix's conversion order decides which series gets a, b, c."""
from __future__ import annotations

import zlib

from test_philips import assert_same_as_dcm2niix


def test_conversion_order_is_crc_of_series_uid():
    """Series are converted in the order of the CRC-32 of their SeriesInstanceUID (nii_loadDirCore's sort)."""
    from medfast.dicom.grouping import conversion_order

    uids = ["1.2.3.4", "1.2.3.5", "1.3.6.1.4.1.9590.100.1.2.1", "2.25.1"]
    assert sorted(uids, key=lambda u: conversion_order(u, 1)) == sorted(uids, key=lambda u: zlib.crc32(u.encode()))
    assert conversion_order("", 9) == 9 and conversion_order("", 0) == 1


def test_collisions_follow_conversion_order(tmp_path):
    """Six series with one name under -f %p: the same a..e suffixes as the dcm2niix package."""
    from medfast.synth import write_mr_series

    for number in range(1, 7):
        write_mr_series(tmp_path / "in" / f"s{number}", shape=(8, 8, 3, 2), series_number=number, seed=number)
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work", ("-b", "y", "-z", "n", "-f", "%p"))


def test_derived_images_are_their_own_series(tmp_path):
    """A DERIVED trace volume in an original DWI series is converted apart (dcm2niix's isSameSet), named with a suffix."""
    from medfast.synth import write_philips_dwi

    write_philips_dwi(tmp_path / "in", trace=(4,), trace_image_type=["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW", "M"])
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")
