"""Header scanning: medfast.dicom.scan against pydicom's dcmread(stop_before_pixels=True).

``medfast.dicom.scan.scan`` reads each file once, indexes every element and
decodes the default grouping tags (the reader's per-file work).

A series of 4,000 small MR files (64 x 64, a Siemens-like header: the usual
attributes plus two private OB blocks the size of CSA headers, so Pixel Data
sits past 16 KB), written once with pydicom; 200 files when benchmarks are
disabled, so the CI run stays quick. The page cache is warm after writing.
Group ``header-scan`` holds both readers over all files (the ratio is the
speed-up); group ``scan kernel`` the compiled kernel against its NumPy twin on
one file's bytes.
"""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from medfast._kernels import _reference
from medfast.dicom.scan import scan


def _template():
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND", "NORM"]
    ds.SOPClassUID = MRImageStorage
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20240102"
    ds.StudyTime, ds.SeriesTime = "101112.123000", "101530.456000"
    ds.Modality, ds.Manufacturer = "MR", "SIEMENS"
    ds.InstitutionName, ds.StationName = "Hospital", "AWP12345"
    ds.StudyDescription, ds.SeriesDescription = "Head^Brain", "ep2d_bold_moco"
    ds.ManufacturerModelName = "Prisma_fit"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Anon^Ymous", "12345", "19800101", "O"
    ds.PatientAge, ds.PatientSize, ds.PatientWeight = "044Y", "1.8", "75"
    ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions = "EP", "SK\\SS", "FS"
    ds.MRAcquisitionType, ds.SequenceName = "2D", "*epfid2d1_64"
    ds.SliceThickness, ds.RepetitionTime, ds.EchoTime = "3", "2000", "30"
    ds.NumberOfAverages, ds.ImagingFrequency, ds.ImagedNucleus = "1", "123.25", "1H"
    ds.EchoNumbers, ds.MagneticFieldStrength, ds.SpacingBetweenSlices = "1", "3", "3.3"
    ds.NumberOfPhaseEncodingSteps, ds.EchoTrainLength = "64", "64"
    ds.PercentSampling, ds.PercentPhaseFieldOfView, ds.PixelBandwidth = "100", "100", "2232"
    ds.DeviceSerialNumber, ds.SoftwareVersions, ds.ProtocolName = "66000", "syngo MR E11", "bold"
    ds.TransmitCoilName, ds.AcquisitionMatrix = "Body", [0, 64, 64, 0]
    ds.InPlanePhaseEncodingDirection, ds.FlipAngle, ds.SAR = "COL", "90", "0.1"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.StudyID, ds.SeriesNumber = "1", "5"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = generate_uid(), ""
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 64
    ds.PixelSpacing = [3.4375, 3.4375]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = "600", "1200"
    ds.add_new(0x00290010, "LO", "SIEMENS CSA HEADER")
    ds.add_new(0x00291010, "OB", bytes(range(256)) * 36)  # CSA image header, ~9 KB
    ds.add_new(0x00291020, "OB", bytes(range(256)) * 28)  # CSA series header, ~7 KB
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
    return ds


@pytest.fixture(scope="session")
def series(small, tmp_path_factory):
    """Paths of the generated series (200 files when benchmarks are disabled)."""
    count = 200 if small else 4000
    folder = tmp_path_factory.mktemp("scan_series")
    ds = _template()
    rng = np.random.default_rng(5)
    paths = []
    for i in range(count):
        uid = generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber, ds.AcquisitionNumber = i % 36 + 1, i // 36 + 1
        ds.ImagePositionPatient = [-110.0, -105.5, -60.0 + 3.3 * (i % 36)]
        ds.SliceLocation = f"{-60.0 + 3.3 * (i % 36):.4f}"
        ds.AcquisitionTime = ds.ContentTime = f"1016{i // 36 % 60:02d}.{i:06d}"
        ds.PixelData = rng.integers(0, 4096, 64 * 64, dtype=np.uint16).tobytes()
        paths.append(folder / f"IM{i:05d}.dcm")
        ds.save_as(paths[-1], enforce_file_format=True)
    return paths


def _medfast(paths):
    return [scan(p) for p in paths]


def _pydicom(paths):
    return [pydicom.dcmread(p, stop_before_pixels=True) for p in paths]


@pytest.mark.parametrize("reader", ["medfast", "pydicom"])
def test_header_scan(benchmark, series, reader):
    benchmark.group = f"header-scan: {len(series)} MR files"
    from medfast.dicom.scanned import FALLBACKS

    run = _medfast if reader == "medfast" else _pydicom
    before = dict(FALLBACKS)
    result = benchmark.pedantic(run, args=(series,), rounds=3, iterations=1, warmup_rounds=1)
    if reader == "medfast":  # how often pydicom read a file or a value instead of the scan
        benchmark.extra_info.update({f"pydicom_{k}": FALLBACKS[k] - before[k] for k in before})
    assert len(result) == len(series)
    if reader == "medfast":
        assert not any(h.used_fallback for h in result)
        assert [h.values["ImagePositionPatient"][2] for h in result[:40]] == [
            ds.ImagePositionPatient[2] for ds in _pydicom(series[:40])
        ]
        assert min(h.pixel_offset for h in result) > 16384


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_scan_kernel(benchmark, series, impl):
    if impl == "compiled":
        from medfast._kernels._scan import index_elements
    else:
        index_elements = _reference.index_elements
    benchmark.group = "scan kernel: one file's data set walk"
    data = series[0].read_bytes()
    table, stop = np.empty((4096, 7), np.int64), np.empty(5, np.int64)
    assert index_elements(data, 132, True, False, True, table, stop) == 2
    status = benchmark(index_elements, data, int(stop[0]), True, False, False, table, stop)
    assert status == 0 and stop[0] == len(data) - 64 * 64 * 2
