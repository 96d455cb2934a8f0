"""``read_dicom``: files -> records -> stacks -> volumes with their pixels in place."""
from __future__ import annotations

import contextlib
import functools
import gc
import os
import threading
import weakref

import numpy as np

from .._io import BoundedFile
from ..errors import InvalidFileError, MedfastError, UnsupportedError, file_error, reading
from ..volume import Volume
from . import _pydicom, geometry, grouping, mosaic, philips, series, walk
from .pixels import undecodable
from .header import DatasetHeader, HidingHeader, as_header, tag_of
from .values import integer, number, text


#: What colour volumes hold: NIfTI's RGB24, one structured item a voxel (as nibabel reads it).
RGB24 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])
_NATIVE = {"1.2.840.10008.1.2": "<", "1.2.840.10008.1.2.1": "<", "1.2.840.10008.1.2.2": ">"}
_ENCAPSULATED_LENGTH = 0xFFFFFFFF


def _workers():
    return min(32, (os.cpu_count() or 1) + 2)


_CHUNK = 32  # files a task of the header pass
_POOL = {}  # pid -> the reader's thread pool (a forked child starts its own: the parent's threads are not in it)
_POOL_LOCK = threading.Lock()


def _run_all(tasks):
    """The results of ``tasks`` (callables without arguments), in order, run on the reader's threads.

    The threads are started once, not once a volume: on a loaded machine
    starting them cost more than the work of a small volume. A single task
    runs in the calling thread. A task must not wait for another task. When
    one raises, the others still end before the error goes up: nothing runs
    on after the call.
    """
    if len(tasks) <= 1:
        return [task() for task in tasks]
    from concurrent.futures import ThreadPoolExecutor, wait

    pool = _POOL.get(os.getpid())
    if pool is None:
        with _POOL_LOCK:
            pool = _POOL.get(os.getpid())
            if pool is None:
                pool = _POOL[os.getpid()] = ThreadPoolExecutor(_workers(), thread_name_prefix="medfast-read")
    jobs = [pool.submit(task) for task in tasks]
    wait(jobs)
    return [job.result() for job in jobs]


# The header of each file of the volumes read, by path, while a volume holds it (meta["headers"]):
# the writers look here instead of reading a file again.
_KEPT = weakref.WeakValueDictionary()


def header_of(path):
    """The ``Header`` of a file that ``read_dicom`` read (kept while its volume lives); else read it now.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> header_of(get_testdata_file("CT_small.dcm")).get("Rows")
    128
    """
    found = _KEPT.get(path)
    if found is None:
        from .scan import read_header

        found = read_header(path).header
    return found


# pydicom's Image Storage SOP classes: those under 1.2.840.10008.5.1.4.1.1 in these families (the next UID
# component), and two print classes (tests/dicom/test_read_dicom.py holds the table to pydicom's dictionary)
_IMAGE_FAMILIES = frozenset({"1", "2", "3", "4", "5", "6", "7", "12", "13", "14", "20", "77", "128", "130", "481", "501",
                             "601"})
_IMAGE_PRINT_CLASSES = ("1.2.840.10008.5.1.1.29", "1.2.840.10008.5.1.1.30")
_STORAGE_ROOT = "1.2.840.10008.5.1.4.1.1."


def may_be_image_class(uid):
    """False for a SOP class that is none of pydicom's Image Storage classes (a report, a presentation state ...).

    Examples
    --------
    >>> may_be_image_class("1.2.840.10008.5.1.4.1.1.4"), may_be_image_class("1.2.840.10008.5.1.4.1.1.88.22")
    (True, False)
    """
    if uid in _IMAGE_PRINT_CLASSES:
        return True
    return uid.startswith(_STORAGE_ROOT) and uid[len(_STORAGE_ROOT):].split(".")[0] in _IMAGE_FAMILIES


def _not_an_image(path, header):
    """None for a file without pixels (DICOMDIR, presentation state, report, raw data); an error for an image without them."""
    sop_class = header.get("SOPClassUID")
    if isinstance(sop_class, str) and sop_class and not may_be_image_class(sop_class):
        return None  # no need of pydicom's names (importing pydicom is most of a small conversion's time)
    _pydicom.ensure()
    import pydicom
    from pydicom.uid import UID

    if not sop_class:  # a rare file (a DICOMDIR): its meta group may still name the class
        with reading(path), BoundedFile(path) as f:  # a claimed length must not allocate: not pydicom's own open
            meta = getattr(pydicom.dcmread(f, stop_before_pixels=True, specific_tags=["SOPClassUID"]), "file_meta", None)
        sop_class = meta.get("MediaStorageSOPClassUID") if meta is not None else None
    if isinstance(sop_class, str) and sop_class:
        name = UID(sop_class).name
        if "Image Storage" in name:
            raise file_error(path, "PixelData", None, f"missing from a {name} file: truncated?")
    return None


def _full_header(path):
    """pydicom's whole parse of a file whose pixels the scan cannot find (deflated): its header, or None."""
    _pydicom.ensure()
    import pydicom

    from .scanned import count_fallback

    count_fallback("files")
    with reading(path), BoundedFile(path) as f:
        ds = pydicom.dcmread(f, defer_size=1024)
        ds.fileobj_type = lambda name, mode: BoundedFile(name)  # deferred elements: read again bounded
        image = "PixelData" in ds or "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
        for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
            if keyword in ds:
                del ds[keyword]
    header = DatasetHeader(ds, path)
    return header if image else _not_an_image(path, header)


def _source(path, pixels=False):
    """``(path, Header, Scanned record)`` of one file from one read of it; None when it holds no image.

    Raises ``NotPart10`` for a file without the DICOM preamble. ``pixels``: the
    pixels will be read, so a file no installed decoder reads is refused now
    (``UnsupportedError``), before any pixel is read.
    """
    from .scan import DEFLATED_LE, read_header

    found = read_header(path)
    missing = undecodable(found.transfer_syntax) if pixels and found.pixel_offset >= 0 else ""
    if missing:
        raise file_error(path, "TransferSyntaxUID", found.transfer_syntax, missing, cls=UnsupportedError)
    if found.pixel_offset >= 0:
        return path, found.header, found
    if found.transfer_syntax == DEFLATED_LE:
        header = _full_header(path)
        return None if header is None else (path, header, found)
    with reading(path):
        return _not_an_image(path, found.header)


def _stored_dtype(s0, decoded_dtype):
    """dcm2niix keeps the stored integers, but writes unsigned 16-bit data with < 16 bits stored as int16."""
    dtype = np.dtype(decoded_dtype).newbyteorder("=")
    bits_stored = integer(s0.ds.get("BitsStored"), 0) or dtype.itemsize * 8
    if dtype == np.uint16 and bits_stored < 16:
        return np.dtype(np.int16)
    return dtype


def _raw_layout(s, mosaic=False):
    """``(stored dtype with byte order, bits_stored, high_bit)`` when the fast path can place the file; else None.

    ``mosaic``: also for a mosaic (whose frame is cut into tiles after decoding).
    """
    h, v = s.source, s.ds
    order = _NATIVE.get(h.transfer_syntax) if h is not None and h.pixel_offset >= 0 and (mosaic or not s.mosaic) else None
    if order is None or h.pixel_length == _ENCAPSULATED_LENGTH:
        return None
    try:
        if int(v.get("SamplesPerPixel") or 1) != 1:
            return None
        allocated = int(v.get("BitsAllocated") or 0)
        signed = int(v.get("PixelRepresentation") or 0) == 1
        bits = int(v.get("BitsStored") or allocated)
        high = int(v.get("HighBit") if v.get("HighBit") is not None else bits - 1)
    except (TypeError, ValueError):
        return None  # odd values: the pixel decoder reports them
    if allocated not in (8, 16, 32) or not 0 < bits <= allocated or not bits - 1 <= high < allocated:
        return None
    stored = np.dtype(f"{order}{'i' if signed else 'u'}{allocated // 8}")
    if bits == allocated and high == allocated - 1:
        return stored, None, None
    return stored, bits, high


def _place_native(s, layout, out, index, scratch, f):
    """Read one frame's pixel bytes from ``f`` (``s.path`` open) and decode them into ``out[index]``, rows reversed
    (NIfTI's), in one pass.

    ``scratch`` is the calling thread's buffer for the raw bytes, reused from file to file.
    """
    from ..kernels import place_frame

    stored, bits, high = layout
    need = s.rows * s.cols * stored.itemsize
    if s.source.pixel_length < need * (s.frame + 1):
        raise file_error(s.path, "PixelData", f"{s.source.pixel_length} bytes",
                         f"Rows x Columns x BitsAllocated x frames need {need * (s.frame + 1)}")
    target = memoryview(scratch)[:need]
    f.seek(s.source.pixel_offset + s.frame * need)
    got = f.readinto(target)
    if got != need:
        raise file_error(s.path, "PixelData", f"{got} bytes", f"the file ends before the {need} bytes of the frame")
    slope, inter = (s.slope, s.inter) if out.dtype.kind == "f" else (1, 0)
    place_frame(target, 0, out, index, stored_dtype=stored, bits_stored=bits, high_bit=high,
                slope=slope, intercept=inter, flip_rows=True)
    frame = out[index]
    return frame.min(), frame.max()  # while the frame is in cache: spares Volume.array a pass


def _decoded(path, s=None):
    """All frames of a file as (frames, rows, cols) stored values: uncompressed ones from their bytes, else through the pixel decoder."""
    layout = _raw_layout(s, mosaic=True) if s is not None and s.source is not None else None
    if layout is not None:
        return _decoded_native(s, layout)
    if s is not None and s.source is not None and s.source.pixel_offset >= 0 \
            and s.source.pixel_length == _ENCAPSULATED_LENGTH:
        from .encapsulated import decode_file

        with reading(path, "pixel data"):
            found = decode_file(path, s.ds, s.source.pixel_offset, s.source.transfer_syntax)
        if found is not None:  # one monochrome frame, decoded without importing pydicom
            return found
    _pydicom.ensure()
    import pydicom

    from .pixels import pixel_array

    with reading(path, "pixel data"), BoundedFile(path) as f:
        ds = pydicom.dcmread(f)
        if "PixelData" not in ds:
            raise file_error(path, "PixelData", None, "missing")
        arr = pixel_array(ds)
    frames = int(ds.get("NumberOfFrames") or 1)
    frame_shape = arr.shape[arr.ndim - (3 if int(ds.get("SamplesPerPixel") or 1) > 1 else 2):]
    if arr.size != frames * int(np.prod(frame_shape)):
        raise file_error(path, "NumberOfFrames", frames, f"does not fit the {arr.shape} pixels decoded")
    return arr.reshape((frames,) + frame_shape)


def _decoded_native(s, layout):
    """The stored values of an uncompressed file's frames, read straight from its pixel bytes (no pydicom)."""
    from ..kernels import place_frame

    stored, bits, high = layout
    # as the slices read them (the first of several values): Rows and Columns of a mosaic are the whole frame's
    rows, cols = integer(s.ds.get("Rows"), 0), integer(s.ds.get("Columns"), 0)
    count = integer(s.ds.get("NumberOfFrames"), 1) or 1
    need = rows * cols * stored.itemsize
    if s.source.pixel_length < need * count:
        raise file_error(s.path, "PixelData", f"{s.source.pixel_length} bytes",
                         f"Rows x Columns x BitsAllocated x frames need {need * count}")
    with open(s.path, "rb", buffering=0) as f:
        f.seek(s.source.pixel_offset)
        raw = f.read(need * count)
    if len(raw) != need * count:
        raise file_error(s.path, "PixelData", f"{len(raw)} bytes", f"the file ends before the {need * count} bytes of its frames")
    frames = np.empty((count, rows, cols), stored.newbyteorder("="))
    for index in range(count):
        place_frame(raw, index * need, frames, index, stored_dtype=stored, bits_stored=bits, high_bit=high)
    return frames


def _place_decoded(path, items, out, varies, ranges):
    frames = _decoded(path, items[0][1])
    for index, s in items:
        if s.frame >= frames.shape[0]:
            raise file_error(path, "NumberOfFrames", frames.shape[0], f"frame {s.frame + 1} is missing")
        image = frames[s.frame]
        if s.mosaic:
            image = mosaic.tile(image, s.mosaic, s.tile)
        if image.shape[:2] != (s.rows, s.cols):
            raise file_error(path, "Rows x Columns", image.shape, f"differs from the series' {(s.rows, s.cols)}")
        image = image[::-1]  # NIfTI rows run bottom-up
        if out.dtype == RGB24:
            out[index] = np.ascontiguousarray(image).view(RGB24).reshape(image.shape[:2])
        elif varies:
            out[index] = image.astype(np.float32) * np.float32(s.slope) + np.float32(s.inter)
        else:
            out[index] = image
        if out.dtype != RGB24:
            ranges[index] = out[index].min(), out[index].max()


def _out_dtype(ordered, varies):
    s0 = ordered[0]
    if s0.bits == (8, 3):
        return RGB24
    if varies:
        return np.dtype(np.float32)
    layout = _raw_layout(s0) if s0.source is not None else None
    if layout is not None:
        return _stored_dtype(s0, layout[0])
    return _stored_dtype(s0, _decoded(s0.path, s0).dtype)


def _fill(ordered, varies):
    """Every slice in its slot: ``out[t * nz + k, row, col]``; files in parallel (the kernels release the GIL)."""
    s0 = ordered[0]
    if s0.bits[1] != 1 and s0.bits != (8, 3):
        raise file_error(s0.path, "SamplesPerPixel x BitsAllocated", s0.bits,
                         "colour images are read as 8-bit RGB only (as dcm2niix)", cls=UnsupportedError)
    out = np.empty((len(ordered), s0.rows, s0.cols), dtype=_out_dtype(ordered, varies))
    fast, slow = [], {}
    for index, s in enumerate(ordered):
        layout = _raw_layout(s) if s.source is not None else None
        if layout is not None:
            fast.append((index, s, layout))
        else:
            slow.setdefault(s.path, []).append((index, s))
    scratch_size = max((s.rows * s.cols * layout[0].itemsize for _, s, layout in fast), default=0)

    ranges = np.zeros((len(ordered), 2))  # each frame's (min, max) stored value

    def run_fast(chunk):
        scratch, path, f = bytearray(scratch_size), None, None
        try:
            for index, s, layout in chunk:
                if s.path != path:  # the frames of an enhanced file: one open for all of them
                    if f is not None:
                        f.close()
                        f = None
                    path = s.path
                    f = open(path, "rb", buffering=0)
                ranges[index] = _place_native(s, layout, out, index, scratch, f)
        finally:
            if f is not None:
                f.close()

    workers = _workers()
    chunks = [fast[i::workers] for i in range(workers) if fast[i::workers]]
    _run_all([functools.partial(run_fast, chunk) for chunk in chunks]
             + [functools.partial(_place_decoded, path, items, out, varies, ranges) for path, items in slow.items()])
    return out, ranges


def _to_nifti_layout(out, nz, nt):
    """(t*nz, reversed rows, cols) C order -> the Fortran-ordered view indexed (i, j, k[, t]) NIfTI stores."""
    rows, cols = out.shape[1:]
    arr = out.reshape(nt, nz, rows, cols).transpose(3, 2, 1, 0)
    return arr[..., 0] if nt == 1 else arr


class DicomVolume(Volume):
    """A ``Volume`` whose ``stored`` is Fortran-ordered (NIfTI's layout, written without a copy).

    ``array`` rescales through the C-ordered transpose, so the kernel runs on
    contiguous memory instead of a transposing copy.
    """

    __slots__ = ("stored_range",)

    def __init__(self, *args, stored_range=None, **kw):
        super().__init__(*args, **kw)
        self.stored_range = stored_range  # (min, max) of the stored values, when known

    @property
    def array(self):
        if self._array is None:
            stored = self.stored
            if not (stored.flags.f_contiguous and not stored.flags.c_contiguous and stored.size):
                return Volume.array.fget(self)
            self._array = _rescale_parallel(stored.T, self.slope, self.inter, self.stored_range).T
        return self._array


def _min_max(values):
    return values.min(), values.max()


def _rescale_parallel(stored, slope, inter, stored_range=None):
    """``stored * slope + inter`` in the narrowest exact dtype, frames (axis 0) spread over threads."""
    from ..kernels import rescale
    from ..volume import scaled_dtype

    frames = stored.reshape((-1,) + stored.shape[-2:])
    chunks = [frames[c[0]:c[-1] + 1] for c in np.array_split(np.arange(frames.shape[0]),
                                                               min(frames.shape[0], 4 * _workers()))]
    if stored_range is None:
        ends = _run_all([functools.partial(_min_max, c) for c in chunks])
        stored_range = min(e[0] for e in ends), max(e[1] for e in ends)
    dtype = scaled_dtype(stored.dtype, slope, inter, *stored_range)
    out = np.empty(frames.shape, dtype)
    parts = np.array_split(out, np.cumsum([len(c) for c in chunks])[:-1])
    _run_all([functools.partial(rescale, c, slope, inter, dtype=dtype, out=o) for c, o in zip(chunks, parts)])
    return out.reshape(stored.shape)


def _build(ordered, nz, nt, flags, not_dicom, pixels=True, scaling_options=(True, False)):
    s0 = ordered[0]
    report = geometry.spacing_report(ordered[:nz])
    aff = geometry.affine(ordered[:nz], s0.rows)
    scales = {(s.slope, s.inter) for s in ordered}
    varies = len(scales) > 1
    ignored = _variation_ignored(s0, *scaling_options) if varies else None
    varies = varies and not ignored
    slope, inter = (1.0, 0.0) if varies else (s0.slope, s0.inter)
    if not s0.enhanced and text(s0.ds.get("Manufacturer")).upper().startswith("PHILIPS"):
        slope, inter = philips.series_scaling(s0.ds, slope, inter, scaling_options[0])
    if pixels:
        out, ranges = _fill(ordered, varies)
    else:  # header only: a zero-stride placeholder with the shape and dtype the pixels would have
        out = np.broadcast_to(np.zeros((), _out_dtype(ordered, varies)), (len(ordered), s0.rows, s0.cols))
        ranges = None
    scaling = {"slope": slope, "inter": inter, "varies": varies, "ignored": ignored}
    parts = [(slice(None), nt, {})]
    vols = []
    for which, part_nt, extra in parts:
        part, pixels = ordered[which], out[which]
        part_range = None if ranges is None or out.dtype == RGB24 else (ranges[which, 0].min(), ranges[which, 1].max())
        meta = series.volume_meta(part, nz, part_nt, report, multi_echo=flags[0], coil_varies=flags[1],
                                  scaling=scaling)
        meta.update(extra)
        if flags[2]:
            meta["warnings"].append(f"series {s0.series_number}: images of several matrix sizes, "
                                    f"split into one volume per size (this one {s0.cols} x {s0.rows})")
        meta["non_dicom_files"] = not_dicom
        meta["headers"] = {s.path: s.ds for s in part}  # for the writers: no file is read twice
        _KEPT.update(meta["headers"])
        stored, part_aff = _to_nifti_layout(pixels, nz, part_nt), aff
        if part_nt == 1 and geometry.rotates_to_canonical(part[:nz]):
            turn = geometry.to_closest_canonical if geometry.placed(part) else geometry.unflipped
            stored, part_aff = turn(stored, aff)
            meta["reoriented"] = True
            meta["affine_before_turn"] = aff  # dcm2niix's -x i writes the stack as it was before the turn
        # the typed timing fields (what every writer reads): TR in s, from the functional groups when
        # the top level has none (enhanced files), 0 when the series has none, as dcm2niix's pixdim[4]
        tr = meta["repetition_time"] or number(as_header(meta["header"]).find("RepetitionTime"), 0.0) / 1000.0
        vols.append(DicomVolume(stored, part_aff, meta, slope=slope, inter=inter, stored_range=part_range,
                                time_step=tr, time_unit="s", slice_times=meta["slice_times"]))
    return vols


def _variation_ignored(s0, philips_precise, ignore_variation):
    """The option (``-p n`` or ``-p o``) for which dcm2niix keeps the first image's scaling when the scaling varies.

    Otherwise (None) the volume becomes float32 real-world values. ``-p n``
    does so for every vendor but Philips, whose display scaling may vary.
    """
    if not philips_precise and not text(s0.ds.get("Manufacturer")).upper().startswith("PHILIPS"):
        return "-p n"
    return "-p o" if ignore_variation else None


#: what ``ignore_trigger_times`` hides: the trigger times dcm2niix reads (its kTriggerTime, kTriggerDelayTime)
_TRIGGER_TAGS = (tag_of("TriggerTime"), tag_of("NominalCardiacTriggerDelayTime"))
#: ``skipped`` reasons of the files ``ignore_derived`` drops (dcm2niix ``-i y``)
LEFT_OUT_DERIVED = "derived image or localizer, left out (ignore_derived)"
#: why dcm2niix leaves out the images of a Siemens series without RepetitionTime after its first step back
LEFT_OUT_OUT_OF_PLACE = "left out: out of spatial order in a Siemens series without RepetitionTime (dcm2niix's siemensCtKludge)"
LEFT_OUT_2D = "2-D image, left out (ignore_derived)"


_GC_LOCK = threading.Lock()
_GC = {"reads": 0, "turned_off": False}  # read_dicom calls running (threads may read at once)


@contextlib.contextmanager
def _gc_paused():
    """The cyclic garbage collector off while reads run, on again when the last one ends.

    A study's headers are thousands of small objects that live until the
    volumes are written; each collection walked all of them again: 10-20 % of
    the time of reading a 4,000-file study. Cycles a read drops wait for the
    first collection after it.
    """
    with _GC_LOCK:
        if _GC["reads"] == 0 and gc.isenabled():
            gc.disable()
            _GC["turned_off"] = True
        _GC["reads"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC["reads"] -= 1
            if _GC["reads"] == 0 and _GC["turned_off"]:
                _GC["turned_off"] = False
                # the next allocation walks what the reads made once, and frees the cycles they dropped
                # (moving it all to the oldest generation unwalked, gc.freeze + unfreeze, left those cycles to
                # a full collection that a process reading file after file never reached: a leak)
                gc.enable()


def _reset_after_fork():
    """A child forked mid-read runs no read: the collector as it was before the reads, and fresh locks."""
    global _GC_LOCK, _POOL_LOCK
    _GC_LOCK, _POOL_LOCK = threading.Lock(), threading.Lock()
    if _GC["turned_off"]:
        gc.enable()
    _GC.update(reads=0, turned_off=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _leave_out(skipped, members, reason):
    if skipped is not None:
        skipped += [(s.path, reason) for s in members]


def _sources(files, skipped, pixels=False):
    """``(sources, not_dicom)``: the ``_source`` of each DICOM file in file order, headers read in parallel.

    With ``skipped`` a list, a file whose header cannot be read is recorded
    there as ``(path, reason)`` and left out (what dcm2niix does); without it,
    the error is raised. ``not_dicom`` counts the files without the DICOM preamble.
    """
    from .scan import NotPart10

    def one(path):
        try:
            return _source(path, pixels)
        except (NotPart10, FileNotFoundError, IsADirectoryError) as err:
            return NotPart10(str(err))
        except MedfastError as err:
            if skipped is None:
                raise
            return err

    # the kernel releases the GIL while it walks, so files are read and walked in parallel; in chunks, as a task a
    # file costs as much as a header
    chunks = [files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    found = [got for chunk in _run_all([functools.partial(list, map(one, chunk)) for chunk in chunks]) for got in chunk]
    not_dicom = sum(isinstance(got, NotPart10) for got in found)
    for path, got in zip(files, found):
        if isinstance(got, MedfastError):
            skipped.append((path, str(got)))
    return [got for got in found if got is not None and not isinstance(got, (MedfastError, NotPart10))], not_dicom


def read_dicom(path_or_paths, *, ignore_derived=False, pixels=True, skipped=None, merge=grouping.MERGE_AUTO,
               merge_coils=True, ignore_series_uid=False, philips_precise=True, ignore_scale_variation=False,
               keep_orientation_varies=False, ignore_trigger_times=False):
    """Read every DICOM series under files or folders into volumes, as dcm2niix would convert them.

    Parameters
    ----------
    path_or_paths : path or list of paths
        Files, folders (walked recursively) or a DICOMDIR.
    ignore_derived : bool
        Drop derived images, localizers and single-slice (2-D) series, as
        dcm2niix's ``-i y`` does.
    pixels : bool
        False reads headers only: each volume's ``stored`` is then a read-only
        zero-stride placeholder with the shape and dtype the pixels would have
        (what ``medfast info`` shows).
    merge : int
        dcm2niix's ``-m``: ``grouping.MERGE_AUTO`` (2, the default) stacks
        images of a series whatever their exposure only for CT and X-ray,
        ``MERGE_YES`` (1) for every modality, ``MERGE_NO`` (0) never.
    merge_coils : bool
        False as ``-m o``: images of different receive coils are not stacked.
    ignore_series_uid : bool
        True as an explicit ``-m 2``: a series is its number, whatever its SeriesInstanceUIDs.
    philips_precise : bool
        Philips images in their floating-point values (dcm2niix's ``-p y``,
        the default) or their displayed values (``-p n``, which also keeps the
        first image's scaling when other vendors' scaling varies in a series).
    ignore_scale_variation : bool
        dcm2niix's ``-p o``: a series whose slope or intercept varies keeps
        its first image's scaling (``meta["scaling"]["ignored"]`` says so)
        instead of becoming float32 real-world values.
    keep_orientation_varies : bool
        dcm2niix's ``-i o``: a multi-frame file whose frames change
        orientation is converted (in its last frame's orientation) instead of
        left out.
    ignore_trigger_times : bool
        dcm2niix's ``--ignore_trigger_times``: TriggerTime (0018,1060) and
        NominalCardiacTriggerDelayTime (0020,9153) are not read, so they
        neither split a series nor give a trigger delay.
    skipped : list, optional
        Given a list, a file that cannot be part of a volume (a broken header,
        no image geometry, with ``pixels`` a compressed transfer syntax no
        installed decoder reads) is left out, as dcm2niix leaves it out, and
        ``(path, reason)`` is appended to the list; the rest converts. The
        files ``ignore_derived`` drops are appended too (reasons
        ``LEFT_OUT_DERIVED``, ``LEFT_OUT_2D``). By default such a file raises
        ``InvalidFileError`` (``UnsupportedError`` for the decoder).

    Returns
    -------
    list of medfast.Volume
        One per output volume: ``array`` indexed i, j, k[, t] with the values
        and layout of the NIfTI dcm2niix writes, ``affine`` voxel to RAS+ mm,
        ``meta`` as documented in ``medfast.dicom.series``.

    Examples
    --------
    >>> import tempfile, medfast
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(folder, shape=(16, 16, 4))
    >>> [vol] = medfast.read_dicom(folder)
    >>> vol.shape, vol.array.dtype
    ((16, 16, 4), dtype('int16'))
    """
    with _gc_paused():
        return _read_dicom(path_or_paths, ignore_derived, pixels, skipped, merge, merge_coils, ignore_series_uid,
                           philips_precise, ignore_scale_variation, keep_orientation_varies, ignore_trigger_times)


def _read_dicom(path_or_paths, ignore_derived, pixels, skipped, merge, merge_coils, ignore_series_uid,
                philips_precise, ignore_scale_variation, keep_orientation_varies, ignore_trigger_times):
    sources, not_dicom = _sources(walk.candidate_files(path_or_paths), skipped, pixels)
    if ignore_trigger_times:
        sources = [(path, HidingHeader(header, _TRIGGER_TAGS), *rest) for path, header, *rest in sources]
    slices, seen, duplicates = [], set(), 0
    for found in sources:
        values = found[1]
        uid = values.get("SOPInstanceUID")
        if uid:  # the same image twice (a copied file): read once, as dcm2niix does
            uid = tuple(map(str, (uid, values.get("SeriesInstanceUID"), values.get("SeriesNumber"))))  # hashable
            if uid in seen:
                duplicates += 1
                continue
            seen.add(uid)
        try:
            with reading(found[0]):
                slices += series.slices_of(*found, philips_precise=philips_precise,
                                           keep_orientation_varies=keep_orientation_varies)
        except InvalidFileError as err:  # no geometry (a screenshot, a report, a fragment)
            if skipped is None:
                raise
            skipped.append((found[0], str(err)))
    groups = grouping.group(slices, merge, merge_coils, ignore_series_uid)
    flags = grouping.varies(groups)
    echoes = grouping.echo_numbers(groups)
    vols = []
    for index, members in enumerate(groups):
        if ignore_derived and members[0].derived:
            _leave_out(skipped, members, LEFT_OUT_DERIVED)
            continue
        ordered, nz, nt = geometry.arrange(members)
        kept = {id(s) for s in ordered}
        dropped = [s for s in members if id(s) not in kept]  # dcm2niix's siemensCtKludge (geometry.siemens_ct_cut)
        _leave_out(skipped, dropped, LEFT_OUT_OUT_OF_PLACE)
        if ignore_derived and nz == 1:
            _leave_out(skipped, members, LEFT_OUT_2D)
            continue
        s0 = ordered[0]
        built = _build(ordered, nz, nt, flags[(s0.series_number, s0.series_uid)], not_dicom, pixels,
                       (philips_precise, ignore_scale_variation))
        for vol in built:
            if dropped:
                vol.meta.setdefault("warnings", []).append(f"{len(dropped)} image(s) {LEFT_OUT_OUT_OF_PLACE}")
            if index in echoes:
                vol.meta["EchoNumber"] = echoes[index]
            vol.meta["duplicate_files"] = duplicates
        vols += built
    return vols
