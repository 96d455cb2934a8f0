"""Decode the pixels of one DICOM file: ``pixel_array(ds)`` and ``decode_into``.

``pixel_array(ds)`` is a drop-in for pydicom 3's ``ds.pixel_array`` with its
default options: the same dtype (including the big-endian dtype pydicom gives
for Explicit VR Big Endian), shape and values; YBR_FULL and YBR_FULL_422 come
back as RGB, MONOCHROME1 is not inverted and PALETTE COLOR is not looked up, as
in pydicom. Native (uncompressed) Pixel Data is viewed in place and decoded in
one pass by ``medfast.kernels`` (byte order, stored bits); encapsulated transfer
syntaxes go through pydicom's decoders, with medfast's RLE kernel registered as
the ``medfast`` plugin. BitsAllocated 12 (packed, two pixels in three bytes),
which pydicom refuses, is decoded as GDCM does, to uint16 (int16 when signed,
sign-extended from BitsStored).

``decode_into(header, raw, out, index, *, frame=None, slope=1.0, intercept=0.0)``
is the lower level the series reader uses: it decodes the Pixel Data value
``raw`` of one file (a bytes-like; pass a ``memoryview`` slice of the file's
bytes to avoid a copy) described by ``header`` (a ``PixelHeader``, from
``PixelHeader.from_dataset(ds)`` or built from scanned tag values) straight
into ``out[index : index + header.frames]`` (or only frame ``frame`` of the
file into ``out[index]``, for frames that sort into scattered slots), applying
``stored * slope + intercept`` in the same pass. ``out`` is C-contiguous with frames along axis 0,
each frame shaped ``header.frame_shape``; its dtype is the caller's choice
(``rescale`` semantics of ``medfast.kernels``). The slow steps (bit unpacking,
planar configuration 1, YBR to RGB) use a temporary; monochrome and
interleaved RGB data go from ``raw`` to ``out`` with no intermediate array.

Stored bits follow pydicom: values are masked (or sign-extended) to BitsStored
counted from bit 0, whatever HighBit says, so garbage in the unused high bits
never reaches the result.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import struct
import warnings

import numpy as np

from .. import kernels
from ..errors import InvalidArgumentError, InvalidFileError, UnsupportedError, file_error, reading

__all__ = ["PixelHeader", "decode_into", "pixel_array"]

# Pixel data element tag -> keyword; a dataset holds exactly one of them.
_PIXEL_TAGS = {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}
_TAG_OF = {kw: tag for tag, kw in _PIXEL_TAGS.items()}
_FLOAT_DTYPES = {"FloatPixelData": "f4", "DoubleFloatPixelData": "f8"}
_YBR = ("YBR_FULL", "YBR_FULL_422")
_PHOTOMETRIC = frozenset(
    ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "HSV", "ARGB", "CMYK",
     "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_PARTIAL_422", "YBR_ICT", "YBR_RCT", "XYB")
)
# Image Pixel module: keyword -> tag, read for every header.
_IMAGE_PIXEL = {
    "Rows": 0x00280010,
    "Columns": 0x00280011,
    "BitsAllocated": 0x00280100,
    "BitsStored": 0x00280101,
    "PixelRepresentation": 0x00280103,
    "SamplesPerPixel": 0x00280002,
    "PhotometricInterpretation": 0x00280004,
    "PlanarConfiguration": 0x00280006,
    "NumberOfFrames": 0x00280008,
}
# pydicom's ds.pixel_array options when the user chose none (pixel_array_options() with no arguments).
_DEFAULT_OPTIONS = {"use_pdh": False, "decoding_plugin": "", "index": None, "raw": False}


def _values(ds, tags):
    """Values of ``tags`` in ``ds``, None when absent.

    The hot path of ``pixel_array``: elements pydicom has already converted are
    read from the dataset's dict; raw ones go through ``ds[tag]``, which converts them.
    """
    from pydicom.dataelem import DataElement

    elements = ds._dict
    values = []
    for tag in tags:
        elem = elements.get(tag)
        if elem is not None and type(elem) is not DataElement:
            elem = ds[tag]
        values.append(None if elem is None else elem.value)
    return values


def _frames(value, path):
    """Number of Frames as pydicom reads it: absent, empty or 0 mean one frame."""
    if value in (None, "", 0):
        return 1
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise file_error(path, "NumberOfFrames", value, "not an integer") from err


@functools.lru_cache(maxsize=64)
def _syntax(uid):
    """(little endian, encapsulated) of a transfer syntax UID."""
    from pydicom.uid import UID

    uid = UID(uid)
    if not uid.is_transfer_syntax:
        raise ValueError(f"{uid} is not a known transfer syntax")
    return uid.is_little_endian, uid.is_encapsulated


def _pixel_vr(ds, tag, path):
    """The VR of the pixel element; pydicom raises NotImplementedError on a VR it does not know."""
    try:
        return ds[tag].VR
    except NotImplementedError as err:
        raise file_error(path, _PIXEL_TAGS[tag], "VR", f"pydicom cannot read it: {err}") from err


@dataclasses.dataclass(frozen=True)
class PixelHeader:
    """What decoding one file's Pixel Data needs: the Image Pixel module and the transfer syntax.

    Values are validated on construction; a bad one raises ``InvalidFileError``
    naming ``path``, the field and the value.

    Examples
    --------
    >>> h = PixelHeader(rows=2, columns=3, bits_allocated=16, bits_stored=12)
    >>> h.frame_shape, h.dtype, h.frame_bytes
    ((2, 3), dtype('uint16'), 12)
    """

    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int = 0  # 0: same as bits_allocated
    pixel_representation: int = 0
    samples_per_pixel: int = 1
    photometric: str = "MONOCHROME2"
    planar_configuration: int = 0
    frames: int = 1
    transfer_syntax: str = "1.2.840.10008.1.2.1"
    keyword: str = "PixelData"
    vr: str = "OW"
    path: str | None = None
    # From the transfer syntax, set on construction.
    little_endian: bool = dataclasses.field(init=False, repr=False)
    encapsulated: bool = dataclasses.field(init=False, repr=False)

    def __post_init__(self):
        if not self.bits_stored:
            object.__setattr__(self, "bits_stored", self.bits_allocated)
        try:
            little, encapsulated = _syntax(self.transfer_syntax)
        except ValueError as err:
            raise self._error("TransferSyntaxUID", self.transfer_syntax, str(err), UnsupportedError) from err
        object.__setattr__(self, "little_endian", little)
        object.__setattr__(self, "encapsulated", encapsulated)
        ba = self.bits_allocated
        if ba not in (1, 8, 12, 16, 32, 64) or (ba == 12 and encapsulated):
            raise self._error("BitsAllocated", ba, "must be 1, 8, 12 (native only), 16, 32 or 64")
        checks = (
            ("Rows", self.rows, 0 < self.rows < 2**16),
            ("Columns", self.columns, 0 < self.columns < 2**16),
            ("BitsStored", self.bits_stored, 0 < self.bits_stored <= ba),
            ("PixelRepresentation", self.pixel_representation, self.pixel_representation in (0, 1)),
            ("SamplesPerPixel", self.samples_per_pixel, self.samples_per_pixel in (1, 3)),
            ("PlanarConfiguration", self.planar_configuration, self.planar_configuration in (0, 1)),
            ("NumberOfFrames", self.frames, self.frames >= 1),
            ("PhotometricInterpretation", self.photometric, self.photometric in _PHOTOMETRIC),
            ("pixel keyword", self.keyword, self.keyword in _PIXEL_TAGS.values()),
        )
        for field, value, ok in checks:
            if not ok:
                raise self._error(field, value, "out of range")
        if self.keyword != "PixelData" and ba != int(_FLOAT_DTYPES[self.keyword][1]) * 8:
            raise self._error("BitsAllocated", ba, f"must be {int(_FLOAT_DTYPES[self.keyword][1]) * 8} for {self.keyword}")

    def _error(self, field, value, reason, cls=InvalidFileError):
        return file_error(self.path, field, value, reason, cls)

    @classmethod
    def from_dataset(cls, ds, path=None):
        """The header of a pydicom ``Dataset`` (its file meta gives the transfer syntax).

        Examples
        --------
        >>> import pydicom
        >>> from pydicom.data import get_testdata_file
        >>> ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        >>> PixelHeader.from_dataset(ds).frame_shape
        (128, 128)
        """
        path = path if path is not None else getattr(ds, "filename", None)
        path = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
        tags = [tag for tag in _PIXEL_TAGS if tag in ds._dict]
        if len(tags) != 1:
            found = [_PIXEL_TAGS[tag] for tag in tags]
            raise file_error(path, "PixelData", found, "need exactly one of Pixel Data, Float or Double Float Pixel Data")
        keyword = _PIXEL_TAGS[tags[0]]
        meta = getattr(ds, "file_meta", None)
        (syntax,) = _values(meta, (0x00020010,)) if meta is not None else (None,)
        if syntax is None:
            raise file_error(path, "TransferSyntaxUID", None, "missing from the file meta information")
        with reading(path, "Image Pixel module"):
            v = dict(zip(_IMAGE_PIXEL, _values(ds, _IMAGE_PIXEL.values())))
        for name, value in v.items():  # a broken file may give several values, or a string
            if name not in ("PhotometricInterpretation", "NumberOfFrames") and value is not None and type(value) is not int:
                raise file_error(path, name, value, "must be one integer")
        required = ["Rows", "Columns", "BitsAllocated", "PhotometricInterpretation", "SamplesPerPixel"]
        if keyword == "PixelData":
            required += ["BitsStored", "PixelRepresentation"]
        if v["SamplesPerPixel"] == 3:
            try:
                encapsulated = _syntax(syntax)[1]
            except ValueError as err:
                raise file_error(path, "TransferSyntaxUID", str(syntax), str(err), UnsupportedError) from err
            if not encapsulated:
                required.append("PlanarConfiguration")
        for name in required:
            if v[name] is None:
                raise file_error(path, name, None, "missing")
        return cls(
            rows=v["Rows"],
            columns=v["Columns"],
            bits_allocated=v["BitsAllocated"],
            bits_stored=v["BitsStored"] or 0,
            pixel_representation=v["PixelRepresentation"] or 0,
            samples_per_pixel=v["SamplesPerPixel"],
            photometric=str(v["PhotometricInterpretation"]),
            planar_configuration=v["PlanarConfiguration"] or 0,
            frames=_frames(v["NumberOfFrames"], path),
            transfer_syntax=str(syntax),
            keyword=keyword,
            vr=_pixel_vr(ds, tags[0], path),
            path=path,
        )

    @property
    def frame_shape(self):
        """Shape of one decoded frame: (rows, columns) or (rows, columns, samples)."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def frame_pixels(self):
        """Samples in one frame."""
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def frame_bytes(self):
        """Bytes of one native frame (a float for 1- and 12-bit frames that end inside a byte)."""
        n = self.frame_pixels
        if self.bits_allocated in (1, 12):
            bits = n * self.bits_allocated
            return bits // 8 if bits % 8 == 0 else bits / 8
        length = n * (self.bits_allocated // 8)
        return length // 3 * 2 if self.photometric == "YBR_FULL_422" else length

    @property
    def dtype(self):
        """Native dtype of the decoded stored values (what pydicom returns, in native byte order)."""
        if self.keyword != "PixelData":
            return np.dtype(_FLOAT_DTYPES[self.keyword])
        if self.bits_allocated == 1:
            return np.dtype("u1")
        size = 2 if self.bits_allocated == 12 else self.bits_allocated // 8
        return np.dtype(f"{'ui'[self.pixel_representation]}{size}")

    @property
    def stored_dtype(self):
        """Dtype of the stored values in the Pixel Data bytes, with their byte order."""
        return self.dtype.newbyteorder("<" if self.little_endian else ">")

    def required_bytes(self, frames=None):
        """Bytes of native Pixel Data that ``frames`` frames (default all) need."""
        return math.ceil(self.frame_bytes * (self.frames if frames is None else frames))


def pixel_array(ds):
    """Decode a dataset's pixels as pydicom's ``ds.pixel_array`` does, faster.

    Parameters
    ----------
    ds : pydicom.Dataset
        A dataset with Pixel Data (or Float / Double Float Pixel Data) and file meta.

    Returns
    -------
    numpy.ndarray
        Shaped (rows, columns[, samples]) or (frames, rows, columns[, samples]),
        the same dtype, shape and values as ``ds.pixel_array``, writeable.

    Raises
    ------
    InvalidFileError
        The Image Pixel attributes are missing or out of range, or Pixel Data is
        shorter than Rows x Columns x Samples x Number of Frames need.
    UnsupportedError
        The transfer syntax has no decoder (a missing optional plugin).

    Examples
    --------
    >>> import pydicom
    >>> from pydicom.data import get_testdata_file
    >>> ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    >>> arr = pixel_array(ds)
    >>> arr.dtype, arr.shape, bool((arr == ds.pixel_array).all())
    (dtype('int16'), (128, 128), True)
    """
    options = getattr(ds, "_pixel_array_opts", _DEFAULT_OPTIONS)
    if not all(key in _DEFAULT_OPTIONS and _DEFAULT_OPTIONS[key] == value for key, value in options.items()):
        # The user chose pydicom options (pixel_array_options): honour them.
        return ds.pixel_array
    header = PixelHeader.from_dataset(ds)
    raw = ds._dict[_TAG_OF[header.keyword]].value  # from_dataset has converted the element
    if raw is None:
        raise file_error(header.path, header.keyword, None, "no pixel bytes to decode")
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return ds.pixel_array  # a file-like value (pydicom 3 buffered pixel data): pydicom streams it
    if header.encapsulated:
        return _encapsulated(header, ds)
    header = _with_excess_frames(header, len(raw))
    out = np.empty((header.frames, *header.frame_shape), dtype=header.dtype)
    decode_into(header, raw, out, 0)
    if header.frames == 1:
        out = out[0]
    if not header.little_endian and out.dtype.itemsize > 1:
        # pydicom keeps the file's byte order in the dtype.
        out = out.byteswap().view(out.dtype.newbyteorder())
    return out


def decode_into(header, raw, out, index=0, *, frame=None, slope=1.0, intercept=0.0):
    """Decode one file's Pixel Data straight into its slot of ``out``.

    Parameters
    ----------
    header : PixelHeader
        The file's pixel attributes and transfer syntax.
    raw : bytes-like
        The Pixel Data element's value (native or encapsulated); bytes past what
        the frames need are ignored.
    out : numpy.ndarray
        C-contiguous, frames along axis 0, each frame ``header.frame_shape``.
    index : int
        Slot in ``out`` of the first frame written.
    frame : int, optional
        Decode only this frame of the file (0-based) into ``out[index]``;
        by default every frame goes to ``out[index : index + header.frames]``.
    slope, intercept : float or 1-D array
        Rescale applied in the same pass: ``out = stored * slope + intercept``;
        arrays give one value a frame written.

    Returns
    -------
    int
        The number of frames written.

    Raises
    ------
    InvalidFileError
        ``raw`` is shorter than the file's frames need (the message names the file and PixelData).
    InvalidArgumentError
        ``out`` has the wrong shape or layout, ``index`` leaves no room, or ``frame`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> h = PixelHeader(rows=1, columns=2, bits_allocated=16, bits_stored=12)
    >>> out = np.zeros((3, 1, 2), np.float32)
    >>> decode_into(h, b"\\x01\\xf0\\x02\\x00", out, 1, slope=2.0, intercept=-1.0)
    1
    >>> out[1]
    array([[1., 3.]], dtype=float32)
    """
    count = header.frames if frame is None else 1
    if (
        not isinstance(out, np.ndarray)
        or not out.flags.c_contiguous
        or out.shape[1:] != header.frame_shape
        or not 0 <= index <= out.shape[0] - count
    ):
        raise InvalidArgumentError(
            f"{header.path or '<buffer>'}: out must be C-contiguous, shaped (n, {', '.join(map(str, header.frame_shape))}) "
            f"with room for {count} frame(s) at index {index}; got {getattr(out, 'shape', type(out).__name__)}"
        )
    if frame is not None and not 0 <= frame < header.frames:
        raise InvalidArgumentError(f"{header.path or '<buffer>'}: frame={frame}: the file has {header.frames}")
    slot = out[index : index + count]
    scaled = _scaled(slope, intercept)
    if header.encapsulated:
        _store(_encapsulated(header, raw, frame).reshape(slot.shape), slot, slope, intercept, scaled)
        return count
    raw = memoryview(raw).cast("B")
    needed = header.required_bytes()
    if len(raw) < needed:
        raise file_error(
            header.path, header.keyword, f"{len(raw)} bytes",
            f"{header.frames} frame(s) of {header.rows} x {header.columns} x {header.samples_per_pixel} "
            f"at {header.bits_allocated} bits allocated need {needed}",
        )
    if _direct(header) and not isinstance(slope, (list, tuple, np.ndarray)) and not isinstance(intercept, (list, tuple, np.ndarray)):
        # Monochrome or interleaved colour: raw bytes -> out in one kernel pass.
        start = 0 if frame is None else frame * header.frame_bytes
        kernels.place_frame(raw, start, slot.reshape(1, -1), 0, **_stored_args(header), slope=slope, intercept=intercept)
    elif frame is None and not scaled and slot.dtype == header.dtype:
        _native(header, raw, slot)
    else:
        stored = _native(header, raw, None)
        _store(stored if frame is None else stored[frame : frame + 1], slot, slope, intercept, scaled)
    return count


def _scaled(slope, intercept):
    """False when the rescale is the identity (checked without NumPy for plain numbers: this is the hot path)."""
    if isinstance(slope, (int, float)) and isinstance(intercept, (int, float)):
        return slope != 1 or intercept != 0
    return not (np.all(np.asarray(slope) == 1) and np.all(np.asarray(intercept) == 0))


def _direct(header):
    """True when raw bytes map one to one onto the output's layout."""
    return (
        header.bits_allocated not in (1, 12)
        and (header.samples_per_pixel == 1 or (header.planar_configuration == 0 and header.photometric not in _YBR))
        and not _be_swap_ow(header)
    )


def _stored_args(header):
    bits = header.bits_stored if header.keyword == "PixelData" and header.bits_stored < header.bits_allocated else None
    return {"stored_dtype": header.stored_dtype, "bits_stored": bits, "high_bit": None if bits is None else bits - 1}


def _be_swap_ow(header):
    """Big endian 8-bit Pixel Data encoded as OW: bytes are swapped in pairs (as pydicom reads it)."""
    return not header.little_endian and header.bits_allocated == 8 and header.keyword == "PixelData" and header.vr == "OW"


def _to_rgb(header):
    return header.samples_per_pixel == 3 and header.photometric in _YBR


def _native(header, raw, dest):
    """Stored values of all frames of native ``raw``, shaped (frames, *frame_shape), into ``dest`` or a new array."""
    target = np.empty((header.frames, *header.frame_shape), header.dtype) if dest is None else dest
    count = header.frames * header.frame_pixels
    ba = header.bits_allocated
    if ba == 1:
        kernels.unpack_1bit(raw, count, 0, out=target.reshape(-1))
    elif ba == 12:
        kernels.unpack_12bit(raw, count, out=target.reshape(-1).view(np.uint16))
        if header.pixel_representation or header.bits_stored < 12:
            kernels.fix_stored_bits(target, header.bits_stored, header.bits_stored - 1, header.pixel_representation)
    elif _be_swap_ow(header) or header.photometric == "YBR_FULL_422":
        _unusual(header, raw, target)
    elif header.samples_per_pixel == 3 and header.planar_configuration == 1:
        planes = np.empty((header.frames, 3, header.rows, header.columns), header.dtype)
        kernels.place_frame(raw, 0, planes.reshape(1, -1), 0, **_stored_args(header))
        kernels.planar_to_interleaved(planes, out=target)
    else:
        kernels.place_frame(raw, 0, target.reshape(1, -1), 0, **_stored_args(header))
    if _to_rgb(header):
        # pydicom's default as_rgb=True
        if target.dtype != np.uint8:
            raise file_error(header.path, "BitsAllocated", ba, "YBR to RGB conversion needs 8 bits", UnsupportedError)
        kernels.ybr_full_to_rgb(target, out=target)
    return target


def _unusual(header, raw, target):
    """8-bit big endian OW (bytes swapped in pairs) and native YBR_FULL_422 (chroma shared by two pixels)."""
    size = header.required_bytes()
    values = np.frombuffer(raw, np.uint8, count=size)
    if _be_swap_ow(header):
        even = np.frombuffer(raw, np.uint8, count=min(len(raw), size + size % 2))
        values = np.append(even, np.uint8(0)) if even.size % 2 else even.copy()
        values = kernels.swap_bytes(values, 2)[:size]
    values = values.view(header.stored_dtype).astype(header.dtype)
    if header.photometric == "YBR_FULL_422":
        # Y1 Y2 Cb Cr -> Y1 Cb Cr Y2 Cb Cr, as PS3.3 C.7.6.3.1.2 and pydicom
        full = np.empty(values.size // 2 * 3, header.dtype)
        full[0::6], full[3::6] = values[0::4], values[1::4]
        full[1::6], full[4::6] = values[2::4], values[2::4]
        full[2::6], full[5::6] = values[3::4], values[3::4]
        values = full
    if header.samples_per_pixel == 3 and header.planar_configuration == 1:
        kernels.planar_to_interleaved(values.reshape(header.frames, 3, header.rows, header.columns), out=target)
    else:
        target.reshape(-1)[...] = values
    if header.keyword == "PixelData" and header.bits_stored < header.bits_allocated:
        kernels.fix_stored_bits(target, header.bits_stored, header.bits_stored - 1, header.pixel_representation)


def _store(stored, slot, slope, intercept, scaled):
    """Copy or rescale decoded stored values into their slot of the output."""
    if scaled or slot.dtype != stored.dtype:
        kernels.rescale(stored, slope, intercept, dtype=slot.dtype, out=slot)
    else:
        slot[...] = stored


def _with_excess_frames(header, available):
    """pydicom's default ``allow_excess_frames``: whole frames past Number of Frames are returned too."""
    needed = header.required_bytes()
    padded = needed + needed % 2
    if available <= padded or header.photometric == "YBR_FULL_422":
        return header
    whole = int(available // header.frame_bytes)
    if whole <= header.frames:
        return header
    warnings.warn(
        f"{header.path or '<buffer>'}: Pixel Data holds {whole} frames, more than NumberOfFrames="
        f"{header.frames}; returning all of them, as pydicom does",
        UserWarning,
        stacklevel=3,
    )
    return dataclasses.replace(header, frames=whole)


def _encapsulated(header, src, frame=None):
    """Decode compressed Pixel Data (all frames, or one) with pydicom's decoder, medfast's plugin for RLE.

    ``src`` is the dataset (pixel_array) or the encapsulated bytes (decode_into).
    """
    from pydicom.uid import RLELossless

    decoder, problem = _decoder(header.transfer_syntax)
    if problem:
        raise file_error(header.path, "TransferSyntaxUID", header.transfer_syntax, problem, UnsupportedError)
    plugin = ""
    if header.transfer_syntax in _DCT_LOSSY and {"gdcm", "pillow"} <= set(decoder.available_plugins):
        # GDCM aborts on some malformed JPEG baseline too: pillow in its place (the same pixels on every
        # pydicom sample both decode), then pylibjpeg
        plugin = ("pillow", "pylibjpeg")
    elif header.transfer_syntax not in _DCT_LOSSY:
        # GDCM aborts the interpreter (an uncaught C++ exception) on some malformed JPEG
        # Lossless and JPEG 2000 streams: another plugin first (these decode exactly, so the
        # pixels are pydicom's whichever plugin runs), GDCM only when it is the only one.
        # pylibjpeg (a default dependency) before pillow, which fails on some valid JPEG 2000 streams.
        plugin = next((p for p in ("pylibjpeg", *decoder.available_plugins) if p in decoder.available_plugins
                       and p != "gdcm"), "")
    if header.transfer_syntax == RLELossless:
        from . import rle_plugin

        rle_plugin.register()
        plugin = rle_plugin.LABEL
    options = {} if not isinstance(src, (bytes, bytearray, memoryview)) else _options(header)
    *first, last = [p for p in plugin if p in decoder.available_plugins] if isinstance(plugin, tuple) else [plugin]
    try:
        with reading(header.path, "Pixel Data"):
            for plugin in first:
                try:
                    return decoder.as_array(src, index=frame, decoding_plugin=plugin, **options)[0]
                except RuntimeError:  # this plugin failed: the next one
                    pass
            return decoder.as_array(src, index=frame, decoding_plugin=last, **options)[0]
    except (RuntimeError, struct.error, StopIteration) as err:  # every plugin failed; fragments past the end or too few
        raise file_error(header.path, header.keyword, header.transfer_syntax, f"cannot decode: {err}") from err


def _decoder(syntax):
    """``(pydicom's decoder, '')`` for an encapsulated transfer syntax, or ``(None, why it cannot be decoded here)``."""
    from ._pydicom import ensure

    ensure()
    import pydicom
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return None, f"no decoder for this transfer syntax in pydicom {pydicom.__version__}"
    if not decoder.is_available:
        return None, f"no decoder installed: {_install_hint(decoder.missing_dependencies)}"
    return decoder, ""


@functools.lru_cache(maxsize=64)
def undecodable(syntax):
    """Why this environment cannot decode pixels of transfer syntax ``syntax`` ('' when it can).

    Uncompressed and deflated syntaxes need no decoder, RLE has medfast's own;
    any other needs a pydicom decoder plugin that is installed.

    Examples
    --------
    >>> undecodable("1.2.840.10008.1.2.1"), undecodable("1.2.840.10008.1.2.4.100")[:50]
    ('', 'no decoder for this transfer syntax in pydicom 3.0')
    """
    if not syntax or syntax in _NEEDS_NO_DECODER or _plugin_installed(syntax):
        return ""
    return _decoder(syntax)[1]


def _plugin_installed(syntax):
    """True when the pylibjpeg plugin pydicom would use for ``syntax`` is installed (found without importing pydicom)."""
    from importlib.util import find_spec

    from .encapsulated import JPEG_2000, JPEG_LOSSLESS, JPEG_LS

    library = "openjpeg" if syntax in JPEG_2000 else "libjpeg" if syntax in JPEG_LOSSLESS | JPEG_LS else None
    return library is not None and find_spec("pylibjpeg") is not None and find_spec(library) is not None


# Native, deflated (inflated by pydicom's reader) and RLE (medfast's own kernel): no plugin needed.
_NEEDS_NO_DECODER = frozenset(("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                               "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5"))


def _install_hint(missing):
    """``pip install ...`` for each of pydicom's "plugin - requires A and B" lines, joined by "or"."""
    options = []
    for line in missing:
        needs = [p.strip() for p in line.partition(" - requires ")[2].split(" and ") if p.strip() not in ("", "numpy")]
        if needs:
            options.append("pip install " + " ".join(f'"{p}"' if "=" in p else p for p in needs))
    return " or ".join(options) or "; ".join(missing)


# JPEG Baseline and Extended: DCT decoders round differently, so pydicom's plugin order is kept.
_DCT_LOSSY = frozenset(("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"))


def _options(header):
    """pydicom decoding options equivalent to ``header``, for a buffer source."""
    return {
        "rows": header.rows,
        "columns": header.columns,
        "samples_per_pixel": header.samples_per_pixel,
        "bits_allocated": header.bits_allocated,
        "bits_stored": header.bits_stored,
        "pixel_representation": header.pixel_representation,
        "photometric_interpretation": header.photometric,
        "planar_configuration": header.planar_configuration,
        "number_of_frames": header.frames,
        "pixel_keyword": header.keyword,
        "allow_excess_frames": False,
    }
