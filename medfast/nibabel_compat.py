"""The nibabel drop-in: ``medfast.load`` and ``medfast.accelerate``.

``load(path)`` is ``nibabel.load`` whose image keeps nibabel's own class,
header and affine, but whose data object reads the whole array through
medfast: ISA-L gzip, ``readinto`` straight into a small buffer, and scaling
done chunk by chunk so the intermediates stay in cache, in one pass over the
output instead of nibabel's three. The values and dtype are nibabel's, bit for
bit: each chunk goes through nibabel's own ``apply_read_scaling``, and the
chunked pass only changes where the work happens. PAR/REC and MINC2 images
read their whole array through ``medfast.formats.parrec``/``minc2`` (REC or
HDF5 data moved by medfast, per-slice scaling by the rescale kernel, float64
bit for bit as nibabel). Slicing (``dataobj[...]``), memory mapping of
unscaled data (``get_unscaled``) and everything else stay nibabel's.

``accelerate()`` makes ``nibabel.load`` do the same, and sends pydicom's
``ds.pixel_array`` through ``medfast.pixel_array`` (and medfast's RLE plugin).
"""
from __future__ import annotations

import io
import threading

import numpy as np

_CHUNK = 1 << 16  # elements a chunk: input, float intermediates and output slice fit in L2
_BLOCK = 1 << 20  # elements a read: one hand-over between the reading thread and the scaling one
_state = threading.local()
_ORIGINAL = {}  # what accelerate() replaced, to call and to restore


def _is_full(slicer, shape):
    from nibabel.fileslice import canonical_slicers

    return canonical_slicers(slicer, shape, False) == canonical_slicers((), shape, False)


def _read_scaled(proxy, dtype):
    """nibabel's ``ArrayProxy._get_scaled(dtype, ())``, computed in cache-sized chunks."""
    from nibabel.volumeutils import apply_read_scaling

    from . import _io

    slope, inter = np.asanyarray(proxy._slope), np.asanyarray(proxy._inter)
    use = slope.dtype if dtype is None else dtype
    if np.can_cast(slope, use):
        slope = slope.astype(use)
    if np.can_cast(inter, use):
        inter = inter.astype(use)
    disk = np.dtype(proxy._dtype)
    final = apply_read_scaling(np.zeros(1, disk), slope, inter).dtype
    if dtype is not None:
        final = np.promote_types(final, dtype)
    shape, order = proxy._shape, proxy.order
    path = proxy.file_like
    with _io.open_data(path, int(proxy._offset), _io.nbytes(shape, disk), "image data") as f:
        out = np.empty(shape, final, order=order)  # after the size check
        flat = out.reshape(-1, order="A")  # a view: out is contiguous in its order
        gz = not isinstance(f, io.BufferedReader)  # open_data gives the raw file itself when not gzip
        _pipeline(f, flat, disk, path, lambda part: apply_read_scaling(part, slope, inter), threaded=gz)
    return out


def _pipeline(f, flat, disk, path, scale, threaded):
    """Fill ``flat`` with ``scale(raw)`` read from ``f``, block by block, each scaled in cache-sized chunks.

    ``threaded``: a worker reads (decompresses) the next block while this
    thread scales the current one, in two alternating buffers. Worth it for
    gzip; a plain file's read is a copy from the page cache, cheaper than the
    hand-over.
    """
    from concurrent.futures import ThreadPoolExecutor

    from . import _gzip

    block = min(_BLOCK, max(flat.size, 1))
    buffers = (np.empty(block, disk), np.empty(block, disk) if threaded else None)

    def fill(index, start):
        part = buffers[index % 2 if threaded else 0][: min(block, flat.size - start)]
        _gzip.readinto_exact(f, part, path, "image data")
        return part

    def scaled(part, start):
        for s in range(0, part.size, _CHUNK):
            piece = part[s : s + _CHUNK]
            flat[start + s : start + s + piece.size] = scale(piece)

    starts = range(0, flat.size, block)
    if not threaded:
        for start in starts:
            scaled(fill(0, start), start)
        return
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(fill, 0, 0) if flat.size else None
        for index, start in enumerate(starts):
            part = pending.result()
            following = start + block
            pending = pool.submit(fill, index + 1, following) if following < flat.size else None
            scaled(part, start)


def _fast_ok(proxy, dtype, slicer):
    """True when medfast reads this request: the whole array of a plain or gzip file nibabel opens by name.

    Unscaled reads of a memory-mapped file stay nibabel's, which returns the
    ``np.memmap`` itself; slices stay nibabel's ``fileslice``.
    """
    name = proxy.file_like
    if not isinstance(name, str) or getattr(proxy, "_persist_opener", False):
        return False
    lower = name.lower()
    if lower.endswith((".bz2", ".zst")) or not _is_full(slicer, proxy._shape):
        return False
    if proxy._mmap and not lower.endswith(".gz"):
        identity = np.all(np.asanyarray(proxy._slope) == 1) and np.all(np.asanyarray(proxy._inter) == 0)
        if identity and (dtype is None or np.dtype(dtype) == np.dtype(proxy._dtype)):
            return False
    return True


def _original(cls, name):
    """nibabel's own method, even while accelerate() has replaced it on the class."""
    return _ORIGINAL.get((cls, name), getattr(cls, name))


def _get_scaled(self, dtype, slicer):
    """``ArrayProxy._get_scaled`` with whole-array reads through medfast."""
    from nibabel.arrayproxy import ArrayProxy

    if _fast_ok(self, dtype, slicer):
        return _read_scaled(self, dtype)
    return _original(ArrayProxy, "_get_scaled")(self, dtype, slicer)


def _parrec_get_scaled(self, dtype, slicer):
    """``PARRECArrayProxy._get_scaled`` with whole-array reads through medfast (REC read, per-slice kernel)."""
    from nibabel.parrec import PARRECArrayProxy

    from .formats import parrec

    values = parrec.proxy_values(self, dtype) if slicer == () else None
    return values if values is not None else _original(PARRECArrayProxy, "_get_scaled")(self, dtype, slicer)


def _minc_array(self, dtype=None, copy=None):
    """``MincImageArrayProxy.__array__`` with MINC2 files read by h5py and scaled by the kernel.

    ``copy`` is NumPy 2's keyword; the result is always a new array.
    """
    from nibabel.minc1 import MincImageArrayProxy
    from nibabel.minc2 import Minc2File

    from .formats import minc2

    if isinstance(self.minc_file, Minc2File):
        return minc2.proxy_values(self, dtype)
    return _original(MincImageArrayProxy, "__array__")(self, dtype)


def _patches():
    """(nibabel proxy class, method name, medfast's replacement)."""
    from nibabel.arrayproxy import ArrayProxy
    from nibabel.minc1 import MincImageArrayProxy
    from nibabel.parrec import PARRECArrayProxy

    return (
        (ArrayProxy, "_get_scaled", _get_scaled),
        (PARRECArrayProxy, "_get_scaled", _parrec_get_scaled),
        (MincImageArrayProxy, "__array__", _minc_array),
    )


def _accelerate_image(img):
    """Give a file-backed proxy a subclass of its own class with medfast's method, in place; return ``img``."""
    proxy = getattr(img, "_dataobj", None)
    for cls, name, func in _patches():
        if type(proxy) is cls:
            fast = _ORIGINAL.get(("subclass", cls))
            if fast is None:
                fast = type(f"Fast{cls.__name__}", (cls,), {name: func, "__module__": __name__})
                _ORIGINAL[("subclass", cls)] = fast
            proxy.__class__ = fast
    return img


def load(filename, **kwargs):
    """Load an image as ``nibabel.load`` does, with whole-array reads through medfast.

    Parameters
    ----------
    filename : str or os.PathLike
        Any file nibabel loads.
    **kwargs
        Passed to ``nibabel.load`` (``mmap``, ``keep_file_open``...).

    Returns
    -------
    nibabel image
        nibabel's own class (``Nifti1Image``...); ``get_fdata()`` and
        ``np.asarray(img.dataobj)`` equal nibabel's bit for bit, in dtype too.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nii.gz")
    >>> nib.save(nib.Nifti1Image(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4)), p)
    >>> img = load(p)
    >>> type(img).__name__, img.get_fdata()[1, 1, 1]
    ('Nifti1Image', np.float64(7.0))
    """
    import nibabel

    original = _ORIGINAL.get("load", nibabel.load)
    return _accelerate_image(original(filename, **kwargs))


def _pixel_array_hook(ds, **opts):
    """pydicom's ``pixels.pixel_array`` as ``Dataset.convert_pixel_data`` calls it, through medfast."""
    original = _ORIGINAL["pixel_array"]
    if getattr(_state, "busy", False) or opts.get("decoding_plugin"):
        return original(ds, **opts)  # medfast asked pydicom itself, or the user chose a plugin
    from .dicom import pixels

    _state.busy = True
    try:
        return pixels.pixel_array(ds)
    finally:
        _state.busy = False


def accelerate():
    """From now on ``nibabel.load`` returns medfast-accelerated images and pydicom decodes through medfast.

    Idempotent. ``nibabel.load`` (and ``nibabel.loadsave.load``) become
    :func:`load`, and nibabel's proxy classes (``ArrayProxy``,
    ``PARRECArrayProxy``, ``MincImageArrayProxy``) read whole arrays through
    medfast for images made any other way (``Nifti1Image.from_filename``...);
    pydicom's ``Dataset.pixel_array`` decodes through
    ``medfast.pixel_array`` with pydicom's caching kept, and medfast's RLE
    Lossless plugin is registered first. Values, dtypes and shapes are
    unchanged.

    Examples
    --------
    >>> import nibabel
    >>> accelerate()
    >>> nibabel.load is load
    True
    >>> deaccelerate()
    """
    import nibabel
    import nibabel.loadsave
    import pydicom.dataset

    from .dicom import rle_plugin

    if "load" not in _ORIGINAL:
        _ORIGINAL["load"] = nibabel.loadsave.load
        _ORIGINAL["pixel_array"] = pydicom.dataset.pixel_array
        for cls, name, _ in _patches():
            _ORIGINAL[(cls, name)] = cls.__dict__[name]
    nibabel.load = nibabel.loadsave.load = load
    for cls, name, func in _patches():  # images made by class methods (from_filename...) too
        setattr(cls, name, func)
    pydicom.dataset.pixel_array = _pixel_array_hook
    rle_plugin.register(prefer=True)


def deaccelerate():
    """Undo :func:`accelerate`: nibabel and pydicom get their own functions back.

    Examples
    --------
    >>> import nibabel
    >>> accelerate(); deaccelerate()
    >>> nibabel.load is load
    False
    """
    import nibabel
    import nibabel.loadsave
    import pydicom.dataset

    from .dicom import rle_plugin

    if "load" in _ORIGINAL:
        for cls, name, _ in _patches():
            setattr(cls, name, _ORIGINAL.pop((cls, name)))
        nibabel.load = nibabel.loadsave.load = _ORIGINAL.pop("load")
        pydicom.dataset.pixel_array = _ORIGINAL.pop("pixel_array")
        rle_plugin.unregister()


__all__ = ["accelerate", "deaccelerate", "load"]
