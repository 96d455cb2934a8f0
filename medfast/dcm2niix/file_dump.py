"""What dcm2niix prints as it reads each file's header (readDICOMx in nii_dicom.cpp), at ``-v 1``.

For every file of the folder, in the order it reads them: a Siemens CSA
header's ``DiffusionGradientDirection`` as it meets it, GE's ``Check number
of slices`` when (0021,104F) disagrees with the slice count of (0020,1002) or
(0054,0081), then the dump of the fields its header read gave
(``DICOM file:``, position, orientation, ``acq .. img .. ser ..`` and, for a
diffusion-weighted file, ``DWI bxyz``); a waveform's ``Skipping DICOM`` and a
refused transfer syntax end the read early. Each field is derived by dcm2niix's
rule (its flat parse: the last value met in file order, nested or not, unless
the rule says otherwise) from the file's header as medfast's scan reads it;
the header is read again only at ``-v 1``, so ``-v 0`` pays nothing.
``HeaderLines`` hands the lines out in file order, up to the file whose
conversion comes next.

Not followed: the vendor checks dcm2niix makes while parsing use the
manufacturer after its header read (``series_messages.manufacturer_id``:
Siemens XA10 mosaics without Manufacturer count as Siemens from the start);
the tags inside Original Attributes (0400,0561) count as any other. The other
lines readDICOMx prints at every verbosity (``Unable to determine slice
thickness``, ``Compressed image stored as N fragments``, ``Instance number
(0020,0013) not found`` ...) are not said.
"""
from __future__ import annotations

import math
import struct
import zlib
from typing import NamedTuple

import numpy as np

from .console import _g, _text

_F = np.float32
_EPS = float(np.finfo(np.float32).eps)
_GE, _PHILIPS, _SIEMENS, _UIH = 2, 3, 1, 5
_LOCATIONS_GE, _LOCATIONS_PHILIPS = (0x0021, 0x104F), (0x2001, 0x1018)
_IMAGE_TYPE_GE, _GROUP_DELAY_GE, _B_VALUE_GE = (0x0043, 0x102F), (0x0043, 0x107C), (0x0043, 0x1039)
# the tags _walked follows, as header.walk() gives them
_ECHO_TIME, _EFFECTIVE_ECHO_TIME, _EXPOSURE, _ECHO_NUMBERS = 0x00180081, 0x00189082, 0x00181152, 0x00180086
_RECEIVE_COIL, _COIL_SIEMENS, _ICE_DIMS, _POSITION = 0x00181250, 0x0051100F, 0x00211106, 0x00200032
_DIRECTIONALITY, _B_VALUE, _ORIENTATION = 0x00189075, 0x00189087, 0x00189089
_B_VALUE_SIEMENS, _B_VALUE_PHILIPS, _PHILIPS_CLASSIC = 0x0019100C, 0x20011003, 0x2005140F
_DIRECTIONS_GE = (0x001910BB, 0x001910BC, 0x001910BD)  # x, y, z
_DIRECTIONS_PHILIPS = (0x200510B0, 0x200510B1, 0x200510B2)  # RL, AP, FH
_CSA_IMAGE, _ACQUISITION_TYPE, _ACQUISITION_TYPE_PHILIPS = 0x00291010, 0x00180023, 0x2005106F
_B_VALUE_UIH, _DIRECTION_UIH = 0x00651009, 0x00651037


def _int(value, default=0):
    """atoi of a DICOM value (the first of several); ``default`` when absent (None), 0 when empty."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else ""
    if value is None:
        return default
    if value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(str(value).split()[0]))
        except (TypeError, ValueError, IndexError):
            return default


def _float(value, default=0.0):
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    try:
        return float(_F(float(value)))
    except (TypeError, ValueError):
        return default


def _floats(value, n):
    """dcmMultiFloat: ``n`` float32 values, NaN where missing."""
    values = value if isinstance(value, (tuple, list)) else (value,) if value not in (None, "") else ()
    out = []
    for v in list(values)[:n]:
        try:
            out.append(float(_F(float(v))))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return out + [float("nan")] * (n - len(out))


def _last(header, key):
    """The value dcm2niix's flat parse keeps: the last occurrence in the file, nested or not."""
    try:
        return header.last(key)
    except (KeyError, ValueError):
        return None


def _all(header, key):
    try:
        return next(iter(header.occurrences([key]).values()))
    except (KeyError, ValueError):
        return []


def ge_slice_count_line(path, header, manufacturer):
    """``Check number of slices, discrepancy between tags ...``: a GE file whose locations in acquisition
    (0021,104F) differ from its slice count (ImagesInAcquisition, else NumberOfSlices 0054,0081).

    Examples
    --------
    >>> ge_slice_count_line("a.dcm", {"ImagesInAcquisition": 160, (0x0021, 0x104F): 80}, 2)[:52]
    'Check number of slices, discrepancy between tags (00'
    """
    if manufacturer != _GE:
        return None
    locations = _locations(header, manufacturer, raw=True)
    ge = _int(header.get(_LOCATIONS_GE))
    if locations > 0 and ge > 0 and locations != ge:
        return (f"Check number of slices, discrepancy between tags (0020,1002; 0021,104F; 0054,0081) "
                f"({ge} vs {locations}) {path}")
    return None


def _locations(header, manufacturer, raw=False):
    """dcm2niix's locationsInAcquisition as its header read ends: NumberOfSlices (0054,0081), Philips'
    (2001,1018) when that is 0, GE's ImagesInAcquisition when given, then the smaller of it and
    (0021,104F) (``raw``: before that)."""
    locations = _int(header.get("NumberOfSlices"))
    if manufacturer == _PHILIPS and locations == 0:
        locations = _int(header.get(_LOCATIONS_PHILIPS))
    if manufacturer == _GE:
        images = _int(header.get("ImagesInAcquisition"))
        if images > 0:
            locations = images
        ge = _int(header.get(_LOCATIONS_GE))
        if not raw and ge > 0 and (locations == 0 or ge < locations):
            locations = ge
    return locations


def _image_start(path, pixel_offset, pixel_length, frames):
    """dcm2niix's imageStart: where Pixel Data's value starts; for encapsulated pixels, the value of the
    first fragment after the basic offset table."""
    if pixel_offset < 0:
        return 0
    if pixel_length != 0xFFFFFFFF:
        return pixel_offset
    try:
        with open(path, "rb") as f:
            f.seek(pixel_offset)
            head = f.read(8)
            if len(head) < 8:
                return 0
            tag, length = struct.unpack("<II", head)
            position = pixel_offset + 8
            if length == 4 * frames or length == 0 or (frames < 2 and length == 4):  # the basic offset table
                position += length
                f.seek(position)
                head = f.read(8)
                if len(head) < 8:
                    return 0
                tag, length = struct.unpack("<II", head)
                position += 8
            return position if length > 24 else 0
    except OSError:
        return 0


def _image_type_flags(header, manufacturer):
    """(phase, magnitude) as dcm2niix's ImageType (0008,0008), ComplexImageComponent and GE's (0043,102F) set them."""
    kind = _int(header.get(_IMAGE_TYPE_GE), -1) if manufacturer == _GE else -1
    phase, magnitude = kind == 1, kind == 0
    for value in _all(header, "ImageType"):
        text = "_".join(value) if isinstance(value, (tuple, list)) else _text(value)
        n = len(text)
        magnitude |= (n > 3 and "_M_" in text) or (n > 11 and "_MAGNITUDE_" in text)
        phase |= (n > 3 and "_P_" in text) or (n > 6 and "PHASE" in text)
    for value in _all(header, "ComplexImageComponent"):  # the first letter as written, the second in any case
        text = _text(value)
        phase |= text[:1] == "P" and text[1:2].upper() == "H"
        magnitude |= text[:1] == "M" and text[1:2].upper() == "A"
    return phase, magnitude


class _Parse(NamedTuple):
    """What ``_walked`` keeps: echo time, echo number, receive coil, 3-D acquisition, the slice positions
    met (the first, the last, how many), the diffusion volumes, the lines said while parsing."""

    te: float
    echo: int
    coil: str
    three_d: bool
    first: list
    last: list
    positions: int
    volumes: object
    said: list


def _walked(header, manufacturer):
    """What dcm2niix's flat parse keeps of the tags met in file order, nested ones too (``_Parse``): the echo
    time (EchoTime, EffectiveEchoTime; a CT's Exposure while no echo time is known), the echo number and the
    receive coil (Siemens also from ICE dims 0021,1106 and 0051,100F), MRAcquisitionType (and Philips'
    2005,106F), the slice positions but Philips' private copies, and the diffusion volumes it completes
    (``_DiffusionVolumes``)."""
    from ..dicom import siemens as csa

    te, echo, coil, first, last, count, three_d, said = 0.0, 0, "", None, None, 0, False, []
    volumes = _DiffusionVolumes()
    siemens, philips, uih, ge = (manufacturer == m for m in (_SIEMENS, _PHILIPS, _UIH, _GE))
    b_value_ge = (_B_VALUE_GE[0] << 16) | _B_VALUE_GE[1]
    private = list(_private_positions(header))
    skip = 0
    for tag, vr, value in header.walk():
        if tag == _PHILIPS_CLASSIC and vr == "SQ":
            skip += private.pop(0) if private else 0
            continue
        if tag in (_ECHO_TIME, _EFFECTIVE_ECHO_TIME) or (tag == _EXPOSURE and te == 0):
            te = _float(value)
        elif tag == _ECHO_NUMBERS:
            echo = _int(value)
        elif tag == _RECEIVE_COIL or (tag == _COIL_SIEMENS and siemens):
            coil = _text(value).strip() or coil
        elif tag == _ICE_DIMS and siemens and echo <= 1:
            coil = _ice_coil(_text(value)) or coil
            digits = "".join(c if c.isdigit() else " " for c in _text(value))
            after = digits[digits.find(" "):].split() if " " in digits else []
            if after:  # the echo: the number after the first non-digit
                echo = int(after[0])
        elif tag == _POSITION and skip:  # Philips' per-frame copy: its private position, not a slice's
            skip -= 1
        elif tag == _POSITION:
            position = last = _floats(value, 3)
            first, count = first or position, count + 1
            volumes.at_first(all(abs(a - b) <= _EPS for a, b in zip(position, first)))  # isFloatDiff
        elif tag == _DIRECTIONALITY:
            volumes.directionality(_text(value).strip())
        elif tag == _B_VALUE or (tag == _B_VALUE_SIEMENS and siemens) or (tag == _B_VALUE_PHILIPS and philips) \
                or (tag == _B_VALUE_UIH and uih):
            b = float(_int(value, -1)) if tag == _B_VALUE_SIEMENS else _float(value, -1.0)
            volumes.b_value(b)
            volumes.b0 = b  # dcm2niix's B0Philips: the b-value of a file whose volume never completes
        elif tag == _ORIENTATION and not uih:  # UIH: its private vector only (issue 836)
            volumes.orientation(_floats(value, 3))
        elif tag == _DIRECTION_UIH and uih:  # into the header's vector, not the volume's
            volumes.dti[1:] = _floats(value, 3)
        elif tag in _DIRECTIONS_PHILIPS and philips:
            volumes.axis(_DIRECTIONS_PHILIPS.index(tag), _float(value))
        elif tag in _DIRECTIONS_GE and ge:
            volumes.axis(_DIRECTIONS_GE.index(tag), _float(value))
        elif tag == b_value_ge and ge:  # set_bValGE: its 1e9 bias removed
            volumes.b_value(float(_int(value) % 1000000000))
        elif tag in (_ACQUISITION_TYPE, _ACQUISITION_TYPE_PHILIPS) and len(_text(value)) > 1:
            three_d = _text(value)[:1] == "3" and _text(value)[1:2].upper() == "D"
        elif tag == _CSA_IMAGE and siemens:
            said += volumes.csa(header)
            coil = coil or _ice_coil(_text((csa.csa_items(header, "ICE_Dims") or [""])[0]))
    return _Parse(te, echo, coil, three_d, first, last, count, volumes, said)


def _ice_coil(text):
    """The coil of a Siemens ICE dims text ("29_1_1..." uncombined, "X_1_1..." combined: none), or ''."""
    numbers = "".join(c if c.isdigit() else " " for c in text).split()
    return str(int(numbers[0])) if text[:1].isdigit() and int(numbers[0]) > 0 else ""


def _private_positions(header):
    """How many ImagePositionPatient each Philips per-frame classic header (2005,140F) holds, in walk order."""
    for tag, items in header.sequences():
        if tag == _PHILIPS_CLASSIC:
            yield sum(len(next(iter(item.occurrences([_POSITION]).values()))) for item in items)
        else:
            for item in items:
                yield from _private_positions(item)


class _DiffusionVolumes:
    """dcm2niix's TVolumeDiffusion: a b-value and a vector (or a non-directional flag) met at the first
    slice position complete a volume; ``count`` is its numDti, ``dti`` its dtiV (the last completed)."""

    def __init__(self):
        self.count, self.dti, self.b0 = 0, [0.0, 0.0, 0.0, 0.0], -1.0
        self._clear()

    def _clear(self):
        self.first, self.non_directional, self.v = False, False, [-1.0, 2.0, 2.0, 2.0]

    def _update(self):
        if not self.first or self.v[0] < 0 or any(x > 1.5 for x in self.v[1:]):
            return
        self.count += 1
        self.dti = list(self.v)
        self._clear()

    def at_first(self, flag):
        self.first = flag
        self._update()

    def directionality(self, text):
        self.non_directional = not text.startswith(("DIRECTIONAL", "BMATRIX"))
        if self.non_directional:
            self.v[1:] = [0.0, 0.0, 0.0]
        self._update()

    def b_value(self, b):
        self.v[0] = b
        self._update()

    def csa(self, header):
        """A Siemens CSA image header (0029,1010): its B_value and DiffusionGradientDirection, and the lines
        dcm2niix says as it reads them."""
        from ..dicom import siemens

        lines = []
        b = siemens.csa_items(header, "B_value")
        if b:
            self.dti[0], self.count = _float(b[0]), 1
            if self.dti[0] < 0:
                lines.append(f"Warning: (Corrupt) CSA reports negative b-value! {_g(self.dti[0])}")
                self.dti[0] = 0.0
        vector = siemens.csa_items(header, "DiffusionGradientDirection")
        if len(vector) > 2:
            self.dti[1:] = _floats(vector, 3)
            lines.append("DiffusionGradientDirection " + " ".join(f"{v:f}" for v in self.dti[1:]))
        return lines

    def axis(self, k, value):
        self.v[k + 1] = value
        self._update()

    def orientation(self, vector):
        self.v[1:] = [0.0, 0.0, 0.0] if self.non_directional else vector
        self._update()


_IN_STACK_VENDORS = (0, 3, 4, 6, 7, 8)  # dcm2niix reads InStackPositionNumber for these (kMANUFACTURER_*)


def _stack(header, manufacturer, frames):
    """(first position, last position, slices a volume) of an enhanced file's frames as dcm2niix's
    per-frame pass leaves them: the position of the last frame at in-stack position 1, of the last frame
    at the highest in-stack position met so far, and that highest position (vendors whose
    InStackPositionNumber it reads); None where not found."""
    start = end = None
    highest = 0
    if manufacturer not in _IN_STACK_VENDORS or frames < 2:
        return start, end, highest
    for k in range(len(header.frames())):
        number = _int(header.find("InStackPositionNumber", frame=k))
        if number <= 0:
            continue
        highest = max(highest, number)
        position = _floats(header.find("ImagePositionPatient", frame=k), 3)
        if position[0] != position[0]:
            continue
        if number == 1:
            start = position
        if number == highest:
            end = position
    return start, end, highest


def _dims(header, manufacturer, frames, highest):
    """dcm2niix's slices and volumes of a file: Philips' locations in acquisition (2001,1018), else the
    highest in-stack position, when they divide the frames."""
    locations = _int(header.get(_LOCATIONS_PHILIPS)) if manufacturer == _PHILIPS else 0
    if locations > 0 and frames % locations == 0:
        return locations, frames // locations
    if highest > 1 and frames > 1 and frames % highest == 0:
        return highest, frames // highest
    return frames, 1


_IMAGE_SIZE = (("Columns", 1), ("Rows", 1), ("BitsAllocated", 16))
_ICON, _WAVEFORM = 0x00880200, 0x54000100
_JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"


def _image_last(header, key):
    """An image pixel attribute (group 0028) as dcm2niix keeps it: the last met, those of an icon
    (0088,0200) aside."""
    if header.items(_ICON):
        value = header.get(key)
        if value is not None:
            return value
    return _last(header, key)


def _slice_mm(header, parse, frames):
    """dcm2niix's slice spacing after the header read: SpacingBetweenSlices, else for a multi-frame file the
    span of its frames' positions a slice (where it differs from SliceThickness by over 1e-4 mm), else
    SliceThickness; 1 when none is positive."""
    thickness = _float(_last(header, "SliceThickness"), 1.0)
    between = _float(_last(header, "SpacingBetweenSlices"))
    if between > 0:
        thickness = between
    elif frames > 1 and parse.positions > 1 and parse.first[0] == parse.first[0] and parse.last[0] == parse.last[0]:
        span = _F(math.sqrt(sum(float(_F(a - b)) ** 2 for a, b in zip(parse.first, parse.last))))
        step = float(_F(span / _F(frames - 1)))
        if step > 0 and abs(step - thickness) > 0.0001:
            thickness = step
    return thickness if thickness >= _EPS else 1.0


def _diffusion(header, manufacturer, volumes):
    """(dtiV, numDti) as the dump prints them: the volumes completed; GE's b-value (0043,1039, its
    1e9 bias removed); a file whose volume never completed keeps its b-value as one; Syngo 2004A's b=0
    images (impossible vectors) get b 0."""
    dti, count = list(volumes.dti), volumes.count
    if manufacturer == _SIEMENS and all(v < -1 for v in dti[1:]):
        dti[0] = 0.0
    if manufacturer == _GE and header.get(_B_VALUE_GE) is not None:
        dti, count = [float(_int(header.get(_B_VALUE_GE)) % 1000000000)] + dti[1:], 1
    if volumes.b0 >= 0 and count == 0:
        dti, count = [volumes.b0] + dti[1:], 1
    return dti, count


def _image_number(header):
    """InstanceNumber as dcm2niix's header read leaves it; a PET image's ImageIndex (0054,1330) when given."""
    index = _int(header.get("ImageIndex")) if _text(header.get("Modality")).startswith("PT") else 0
    return index if index > 0 else _int(header.find("InstanceNumber"))


def _unread_lines(path):
    """The dump of a file whose transfer syntax dcm2niix refuses: it stops reading there (imageStart 1),
    every field as it starts."""
    nan = "\t".join(["nan"] * 3)
    return [f"DICOM file: {path}", f" patient position (0020,0032)\t{nan}", " orient (0020,0037)\t0\t0\t0\t0\t0\t0",
            " acq 0 img 0 ser -1 dim 1x1x1x1 mm 1x1x1 offset 1 loc 0 valid 0 ph 0 mag 0 nDTI 0 3d 0 bits 16 "
            "littleEndian 1 echo 0 coilCRC 0 TE 0 TR 0"]


def read_lines(found, manufacturer):
    """What readDICOMx prints for one file at ``-v 1``: the CSA header's lines as it reads it, GE's slice
    count check, then the dump; ``found``: the file as ``scan.read_header`` reads it.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from medfast.dicom.scan import read_header
    >>> read_lines(read_header(get_testdata_file("MR_small.dcm")), 0)[3][:54]
    ' acq 0 img 1 ser 1 dim 64x64x1x1 mm 0.3125x0.3125x0.8 '
    """
    from .console import refused_syntax

    header, path = found.header, found.path
    if refused_syntax(found.transfer_syntax):
        return _unread_lines(path)
    parse = _walked(header, manufacturer)
    frames = _int(_last(header, "NumberOfFrames"), 1) or 1
    start, end, highest = _stack(header, manufacturer, frames)
    position = start or parse.first or [float("nan")] * 3
    nz, nt = _dims(header, manufacturer, frames, highest)
    orient = [0.0 if v != v else v for v in _floats(_last(header, "ImageOrientationPatient"), 6)]
    columns, rows, bits = (_int(_image_last(header, key), default) for key, default in _IMAGE_SIZE)
    spacing = _floats(_last(header, "PixelSpacing"), 2)
    mm = [spacing[1] if spacing[1] == spacing[1] else 1.0, spacing[0] if spacing[0] == spacing[0] else 1.0,
          _slice_mm(header, parse, frames)]
    waveform = bool(header.vr(_WAVEFORM))  # dcm2niix stops reading there, as at a refused syntax
    image_start = 1 if waveform else _image_start(path, found.pixel_offset, found.pixel_length, frames)
    # invalid: no pixels, a palette (dcm2niix's test wants "PALETTE_COLOR", which the standard's "PALETTE COLOR"
    # never is), a 12-bit JPEG extended file (it decodes 8-bit ones only)
    valid = (image_start > 144 and columns > 1 and rows > 1
             and _text(_last(header, "PhotometricInterpretation")) != "PALETTE_COLOR"
             and not (found.transfer_syntax == _JPEG_EXTENDED and bits > 8))
    phase, magnitude = _image_type_flags(header, manufacturer)
    coil_crc = struct.unpack("<i", struct.pack("<I", zlib.crc32(parse.coil.encode("latin-1", "replace"))))[0]
    tr = _float(_last(header, "RepetitionTime"))
    if manufacturer == _GE:
        tr = float(_F(tr + _float(header.get(_GROUP_DELAY_GE))))
    dti, n_dti = _diffusion(header, manufacturer, parse.volumes)
    check = ge_slice_count_line(path, header, manufacturer)
    said = parse.said + [f"Skipping DICOM (audio not image) '{path}'"] * waveform
    lines = said + ([check] if check else []) + [
             f"DICOM file: {path}",
             " patient position (0020,0032)\t" + "\t".join(_g(v) for v in position),
             *([" patient position end (0020,0032)\t" + "\t".join(_g(v) for v in end)] if end else []),
             " orient (0020,0037)\t" + "\t".join(_g(v) for v in orient),
             f" acq {_int(_last(header, 'AcquisitionNumber'))} img {_image_number(header)} "
             f"ser {_int(_last(header, 'SeriesNumber'), 0 if 'SeriesNumber' in header else -1)} dim {columns}x{rows}x{nz}x{nt} "
             f"mm {_g(mm[0])}x{_g(mm[1])}x{_g(mm[2])} offset {image_start} loc {_locations(header, manufacturer)} "
             f"valid {int(valid)} ph {int(phase)} mag {int(magnitude)} nDTI {n_dti} 3d {int(parse.three_d)} "
             f"bits {bits} "
             f"littleEndian {int(found.transfer_syntax != '1.2.840.10008.1.2.2')} echo {parse.echo} "
             f"coilCRC {coil_crc} TE {_g(parse.te)} TR {_g(tr)}"]
    if dti[0] > 0:
        lines.append(" DWI bxyz " + " ".join(_g(v) for v in dti))
    return lines


def file_lines(path, verbose):
    """The lines dcm2niix prints as it reads one file's header (none at ``-v 0``)."""
    from ..dicom.scan import NotPart10, read_header
    from ..errors import MedfastError
    from .series_messages import manufacturer_id

    if not verbose:
        return []
    try:
        found = read_header(path, raw_dataset=True)
    except (MedfastError, NotPart10, OSError):  # a file medfast cannot read: what dcm2niix makes of it is not known
        return []
    return read_lines(found, manufacturer_id(found.header))


class HeaderLines:
    """The per-file lines of a run, handed out in the order dcm2niix reads the files.

    Examples
    --------
    >>> HeaderLines(["a.dcm"], verbose=0).upto(None)
    []
    """

    def __init__(self, files, verbose):
        self.files, self.verbose, self.done = list(files), verbose, 0

    def upto(self, index):
        """The lines of the files not said yet, up to and including the one at ``index`` (None: all)."""
        end = len(self.files) if index is None else min(index + 1, len(self.files))
        if not self.verbose:  # -v 0: nothing to say, no file read again
            self.done = max(self.done, end)
            return []
        lines = []
        while self.done < end:
            lines += file_lines(self.files[self.done], self.verbose)
            self.done += 1
        return lines
