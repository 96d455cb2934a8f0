"""Synthetic but realistic DICOM studies: a CT head phantom and a 4-D EPI MR series.

The demo converts them, and the tests and benchmarks generate their data with
them, so every generated series has the same complete headers (patient, study,
series, frame of reference, image plane and pixel modules). Values come from
a 3-D Shepp-Logan-style phantom, so geometry errors (flips, swaps) show.
"""
from __future__ import annotations

import os

import numpy as np

# (centre xyz, semi-axes xyz, rotation about z in degrees, CT number in HU)
_ELLIPSOIDS = (
    ((0.0, 0.0, 0.0), (0.69, 0.92, 0.81), 0, 800),  # skull
    ((0.0, -0.0184, 0.0), (0.6624, 0.874, 0.78), 0, -760),  # brain (added to skull: 40 HU)
    ((0.22, 0.0, 0.0), (0.11, 0.31, 0.22), -18, -30),  # right ventricle
    ((-0.22, 0.0, 0.0), (0.16, 0.41, 0.28), 18, -30),  # left ventricle
    ((0.0, 0.35, -0.15), (0.21, 0.25, 0.41), 0, 20),
    ((0.0, 0.1, 0.25), (0.046, 0.046, 0.05), 0, 25),
    ((-0.08, -0.605, 0.0), (0.046, 0.023, 0.05), 0, 30),
    ((0.06, -0.605, -0.25), (0.023, 0.046, 0.05), 0, 30),
)


def phantom(shape):
    """A 3-D head phantom in Hounsfield units (air -1000), indexed x, y, z.

    Examples
    --------
    >>> p = phantom((32, 32, 16))
    >>> p.dtype, int(p[0, 0, 0]), int(p[16, 16, 8]) > -1000
    (dtype('int16'), -1000, True)
    """
    nx, ny, nz = shape
    x, y, z = np.meshgrid(
        np.linspace(-1, 1, nx), np.linspace(-1, 1, ny), np.linspace(-1, 1, nz), indexing="ij"
    )
    hu = np.full(shape, -1000.0)
    for (cx, cy, cz), (ax, ay, az), deg, value in _ELLIPSOIDS:
        t = np.deg2rad(deg)
        xr = (x - cx) * np.cos(t) + (y - cy) * np.sin(t)
        yr = -(x - cx) * np.sin(t) + (y - cy) * np.cos(t)
        inside = (xr / ax) ** 2 + (yr / ay) ** 2 + ((z - cz) / az) ** 2 <= 1
        hu[inside] += value + (1000 if value == 800 else 0)
    return hu.astype(np.int16)


def _uid(*parts):
    from pydicom.uid import generate_uid

    return generate_uid(entropy_srcs=["medfast-synth", *map(str, parts)])


def _base_dataset(sop_class, sop_uid, modality, series_uid, study_uid, series_number, description):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20260101"
    ds.StudyTime = "090000"
    ds.Modality = modality
    ds.Manufacturer = "medfast"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.InstitutionName = "medfast demo"
    ds.PatientName = "Phantom^Demo"
    ds.PatientID = "PHANTOM01"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = _uid(study_uid, "for")
    ds.StudyID = "1"
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.ProtocolName = description
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    return ds


def _save(ds, path, pixels):
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)


def write_ct_series(folder, shape=(256, 256, 120), spacing=(0.9, 0.9, 1.25), *, series_number=2,
                    shuffle_names=False, seed=0):
    """Write the phantom as an axial CT series, one file a slice; return the file paths.

    12 bits stored in 16, unsigned, RescaleSlope 1, RescaleIntercept -1024, as
    most CT scanners write it. Slice ``k`` lies at z = k * spacing[2] mm.

    Parameters
    ----------
    folder : path
        Created if missing.
    shape : (columns, rows, slices)
    spacing : (column, row, slice) spacing in mm
    shuffle_names : bool
        Name files in random order, so that readers must sort by position.

    Examples
    --------
    >>> import tempfile
    >>> files = write_ct_series(tempfile.mkdtemp(), shape=(16, 16, 4))
    >>> len(files)
    4
    """
    from pydicom.uid import CTImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz = shape
    hu = phantom(shape)
    stored = (hu.astype(np.int32) + 1024).clip(0, 4095).astype(np.uint16)
    study = _uid(folder, "study", seed)
    series = _uid(folder, "ct", series_number, seed)
    order = np.random.default_rng(seed).permutation(nz) if shuffle_names else np.arange(nz)
    x0 = -(nx - 1) * spacing[0] / 2
    y0 = -(ny - 1) * spacing[1] / 2
    paths = []
    for k in range(nz):
        sop = _uid(series, k)
        ds = _base_dataset(CTImageStorage, sop, "CT", series, study, series_number, "CT head phantom")
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = k + 1
        ds.AcquisitionNumber = 1
        ds.ImagePositionPatient = [round(x0, 4), round(y0, 4), round(k * spacing[2], 4)]
        ds.SliceLocation = round(k * spacing[2], 4)
        ds.PixelSpacing = [spacing[1], spacing[0]]
        ds.SliceThickness = spacing[2]
        ds.KVP = 120
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        path = os.path.join(folder, f"IM{order[k]:05d}.dcm")
        # DICOM rows run along +y (posterior) and columns along +x: pixel (r, c) is voxel (c, r)
        _save(ds, path, stored[:, :, k].T)
        paths.append(path)
    return paths


def write_mr_series(folder, shape=(64, 64, 24, 10), spacing=(3.0, 3.0, 3.5), *, tr=2.0, series_number=3, seed=0):
    """Write a 4-D EPI-like MR series (one file a slice a volume); return the file paths.

    Signal follows the phantom's tissue classes with a small sinusoidal
    change over time, as in a block-design fMRI run; AcquisitionTime and
    TemporalPositionIdentifier step with each volume.

    Examples
    --------
    >>> import tempfile
    >>> files = write_mr_series(tempfile.mkdtemp(), shape=(8, 8, 3, 2))
    >>> len(files)
    6
    """
    from pydicom.uid import MRImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz, nt = shape
    hu = phantom((nx, ny, nz)).astype(np.float64)
    base = np.where(hu > -500, 600 + hu, 20.0)
    study = _uid(folder, "study", seed)
    series = _uid(folder, "mr", series_number, seed)
    x0 = -(nx - 1) * spacing[0] / 2
    y0 = -(ny - 1) * spacing[1] / 2
    paths = []
    for t in range(nt):
        signal = np.round(base * (1 + 0.02 * np.sin(2 * np.pi * t / 8))).clip(0, 4095).astype(np.uint16)
        for k in range(nz):
            n = t * nz + k
            sop = _uid(series, n)
            ds = _base_dataset(MRImageStorage, sop, "MR", series, study, series_number, "fMRI_phantom")
            ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
            ds.ScanningSequence, ds.SequenceVariant, ds.MRAcquisitionType = "EP", "SK", "2D"
            ds.InstanceNumber = n + 1
            ds.AcquisitionNumber = t + 1
            ds.TemporalPositionIdentifier = t + 1
            ds.NumberOfTemporalPositions = nt
            seconds = 9 * 3600 + 600 + t * tr + k * tr / nz
            hh, rem = divmod(seconds, 3600)
            mm, ss = divmod(rem, 60)
            ds.AcquisitionTime = f"{int(hh):02d}{int(mm):02d}{ss:09.6f}"
            ds.ImagePositionPatient = [round(x0, 4), round(y0, 4), round(k * spacing[2], 4)]
            ds.SliceLocation = round(k * spacing[2], 4)
            ds.PixelSpacing = [spacing[1], spacing[0]]
            ds.SliceThickness = spacing[2]
            ds.RepetitionTime = tr * 1000
            ds.EchoTime = 30
            ds.FlipAngle = 77
            ds.MagneticFieldStrength = 3
            ds.ImagingFrequency = 123.2
            ds.EchoTrainLength = 1
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
            path = os.path.join(folder, f"MR{n:05d}.dcm")
            _save(ds, path, signal[:, :, k].T)
            paths.append(path)
    return paths
