"""MINC2 (HDF5): read through h5py with the kernel doing the per-slice normalisation; write the full layout.

Reading gives what ``nibabel.load`` gives: the array in the file's dimension
order (``dimorder``, e.g. z, y, x) and nibabel's affine. MINC maps stored
values ``x`` of each slice to ``(clip(x) - vmin) * (imax - imin) / (vmax - vmin)
+ imin`` (``valid_range`` and the slice's ``image-min``/``image-max``), which
is a per-slice slope and intercept: the rescale kernel applies it in one pass,
bit for bit what nibabel computes in three.

Non-spatial dimensions (``time``) come after the spatial ones, as NIfTI
orders them (nibabel leaves a leading ``time`` first, with an affine for the
spatial axes); ``time``'s step is ``Volume.time_step``.

Writing: array axes i, j, k[, t] become ``xspace``, ``yspace``, ``zspace``[,
``time``], stored in the order ``[time,]xspace,yspace,zspace`` (the slowest
first), so ``read`` and nibabel give back the volume's own axis order and
affine; each spatial dimension gets ``start``, ``step`` and
``direction_cosines`` from the affine, ``time`` its ``step`` in seconds.
Integers up to 32 bits are kept with the volume's slope and intercept as
image-min/max over the dtype's valid range; 64-bit integers are written as
float64 when every value is exact in it.
"""
from __future__ import annotations

import os

import numpy as np

from .. import _io
from ..errors import InvalidArgumentError, UnsupportedError, file_error, reading

NAME = "minc2"
EXTENSIONS = (".mnc", ".mnc2")
WRITES = (".mnc",)
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ROOT = "minc-2.0"
_SPATIAL = ("xspace", "yspace", "zspace")
_COMMENTS = {
    "xspace": "X increases from patient left to right",
    "yspace": "Y increases from patient posterior to anterior",
    "zspace": "Z increases from patient inferior to superior",
    "time": "",
}


def sniff(head, path=None):
    """True for an HDF5 file (MINC2 is HDF5 with a ``/minc-2.0`` group)."""
    return head[:8] == _HDF5_MAGIC


def _dimorder(var):
    order = var.attrs.get("dimorder")
    if order is None:
        return []
    if isinstance(order, bytes | np.bytes_):
        order = order.decode("latin-1")
    return str(order).split(",")[: len(var.shape)]


def _valid_range(path, image):
    info = np.iinfo(image.dtype)
    vr = image.attrs.get("valid_range")
    if vr is None:
        return float(info.min), float(info.max)
    vr = np.asarray(vr, np.float64).ravel()
    if vr.size != 2 or vr[0] < info.min or vr[1] > info.max or not vr[0] < vr[1]:
        raise file_error(path, "valid_range", vr.tolist(), f"must be an increasing pair within {image.dtype}")
    return float(vr[0]), float(vr[1])


def _slice_scaling(path, group, image, names):
    """Per-frame (slope, intercept) arrays, frames being the scaling dimensions' elements."""
    vmin, vmax = _valid_range(path, image)
    try:
        imax, imin = group["image-max"], group["image-min"]
    except KeyError as err:
        raise file_error(path, "image-max/image-min", None, "missing for an integer image") from err
    dims = _dimorder(imax)
    if dims != _dimorder(imin) or len(dims) > 2 or dims != names[: len(dims)]:
        raise file_error(path, "image-max dimorder", dims, f"must lead the image's {names}")
    hi = np.asarray(imax[()], np.float64).reshape(-1)
    lo = np.asarray(imin[()], np.float64).reshape(-1)
    frames = int(np.prod(image.shape[: len(dims)]))
    if hi.size != frames or lo.size != frames:
        raise file_error(path, "image-max", hi.size, f"need {frames} values")
    slope = (hi - lo) / (vmax - vmin)
    inter = lo - vmin * slope
    return len(dims), vmin, vmax, slope, inter


def _affine(path, dims_group, names):
    spatial = [n for n in names if n.endswith("space")]
    nsp = len(spatial)
    rot, steps, starts = np.eye(nsp), np.ones(nsp), np.zeros(nsp)
    defaults = {"xspace": (1, 0, 0), "yspace": (0, 1, 0), "zspace": (0, 0, 1)}
    for i, name in enumerate(spatial):
        attrs = dims_group[name].attrs
        if attrs.get("spacing", b"regular__") == b"irregular":
            raise file_error(path, f"{name} spacing", "irregular", "not supported", UnsupportedError)
        rot[:, i] = np.asarray(attrs.get("direction_cosines", defaults.get(name, np.eye(nsp)[i])), np.float64)[:nsp]
        steps[i] = float(attrs.get("step", 1.0))
        starts[i] = float(attrs.get("start", 0.0))
    aff = np.eye(nsp + 1)
    aff[:nsp, :nsp] = rot * steps
    aff[:nsp, nsp] = rot @ starts
    return aff


def _volume(path, pixels):
    from ..volume import Volume

    stored, affine, names, scaling, timing = _load(path, pixels)
    meta = {"format": "MINC2", "dimorder": names}
    slope, inter = 1.0, 0.0
    if scaling is not None:
        stored, slopes, inters = _clipped(stored, scaling) if pixels else (stored, scaling[3], scaling[4])
        if np.all(slopes == slopes[0]) and np.all(inters == inters[0]) and stored.dtype.kind in "iu":
            slope, inter = slopes[0], inters[0]
        else:  # per-slice scaling (or clipped values): float64 real values
            stored = _scaled(stored, slopes, inters) if pixels else _io.placeholder(stored.shape, np.float64)
    spatial = [i for i, n in enumerate(names) if n.endswith("space")]
    others = [i for i in range(len(names)) if i not in spatial]
    if spatial and others and spatial + others != list(range(len(names))):
        stored = np.transpose(stored, spatial + others)  # time after space, as NIfTI
    return Volume(stored, affine, meta, slope=slope, inter=inter, time_step=timing[0], time_unit=timing[1])


def read(path, head=None):
    """Read a MINC2 file into a ``Volume``: nibabel's spatial axis order, values and affine; time last.

    Integer images keep their stored values when one slope and intercept
    cover every slice (and nothing needs clipping); otherwise ``vol.array`` is
    the float64 of nibabel's ``get_fdata()``, bit for bit.

    Examples
    --------
    >>> import nibabel, os
    >>> mnc = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "small.mnc")
    >>> read(mnc).shape
    (18, 28, 29)
    """
    return _volume(path, pixels=True)


def read_header(path, head=None):
    """:func:`read` without the voxels: attributes and the small image-min/max only.

    Examples
    --------
    >>> import nibabel, os
    >>> mnc = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "minc2-4d-d.mnc")
    >>> v = read_header(mnc)
    >>> v.shape, v.time_step
    ((16, 16, 16, 5), 1.0)
    """
    return _volume(path, pixels=False)


def _timing(root, names):
    """(time step in seconds, unit) of the ``time`` dimension, else the acquisition's repetition time, else None."""
    dims_group = root["dimensions"]
    if "time" not in names or "time" not in dims_group:
        tr = root["info"]["acquisition"].attrs.get("repetition_time") if "info/acquisition" in root else None
        return (None, None) if tr is None else (float(np.asarray(tr).ravel()[0]), "s")
    attrs = dims_group["time"].attrs
    unit = attrs.get("units", b"s")
    unit = (unit.decode("latin-1") if isinstance(unit, bytes | np.bytes_) else str(unit)).strip() or "s"
    unit = {"sec": "s", "seconds": "s", "msec": "ms", "usec": "us"}.get(unit, unit)
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
    step = float(np.asarray(attrs.get("step", 1.0)).ravel()[0])
    return step * scale.get(unit, 1.0), unit if unit in scale else None


def _load(path, pixels=True):
    """(stored array or placeholder, affine, dimension names, scaling or None for float images, timing)."""
    import h5py

    with reading(path, "MINC2 file"), h5py.File(os.fspath(path), "r") as f:
        try:
            group = f[_ROOT]["image"]["0"]
            image = group["image"]
            dims_group = f[_ROOT]["dimensions"]
        except KeyError as err:
            raise file_error(path, "/minc-2.0/image/0/image", None, "missing: not a MINC2 file") from err
        names = _dimorder(image)
        if len(names) != image.ndim:
            raise file_error(path, "dimorder", names, f"must name {image.ndim} dimensions")
        affine = _affine(path, dims_group, names)
        if image.dtype.kind not in "iuf":
            raise file_error(path, "image dtype", str(image.dtype), "not a MINC2 numeric type", UnsupportedError)
        scaling = _slice_scaling(path, group, image, names) if image.dtype.kind in "iu" else None
        timing = _timing(f[_ROOT], names)
        if not pixels:
            return _io.placeholder(image.shape, image.dtype), affine, names, scaling, timing
        _check_storage(path, image)
        stored = np.empty(image.shape, image.dtype.newbyteorder("="))
        if stored.size:
            read_image(path, image, stored)
    return stored, affine, names, scaling, timing


def _check_storage(path, image):
    """Refuse, before allocating, an image whose shape needs more bytes than the file stores for it.

    Contiguous data must be all there; deflate cannot expand more than 1032 to 1.
    Chunked images with chunks never written (fill value) are not bounded.
    """
    need = int(np.prod(image.shape, dtype=object)) * image.dtype.itemsize
    stored = image.id.get_storage_size()
    if image.chunks is None:
        bound = stored
    elif image.id.get_num_chunks() != int(np.prod([-(-n // c) for n, c in zip(image.shape, image.chunks)])):
        bound = None  # some chunks hold the fill value
    elif image.compression is not None:
        bound = stored * 1032 + int(np.prod(image.chunks)) * image.dtype.itemsize
    else:
        bound = stored
    if bound is not None and need > bound and image.size:
        raise file_error(path, "image shape", image.shape, f"needs {need} bytes, the file stores {stored}")


def _clipped(stored, scaling):
    """Stored values clipped to valid_range (float64, as nibabel clips, only when needed), slopes, intercepts."""
    _, vmin, vmax, slope, inter = scaling
    if stored.size and (stored.min() < vmin or stored.max() > vmax):
        stored = np.clip(stored, vmin, vmax)
    return stored, slope, inter


def _scaled(stored, slope, inter):
    """Per-frame ``stored * slope + inter`` in float64 by the rescale kernel (frames: the scaling dimensions)."""
    from ..kernels import rescale

    frames = stored.reshape((slope.size, -1))
    return rescale(frames, slope, inter, dtype=np.float64).reshape(stored.shape)


def proxy_values(proxy, dtype=None):
    """What nibabel's ``MincImageArrayProxy`` of a MINC2 file gives for the whole array, read by medfast.

    Float images come back in native byte order (nibabel keeps the file's).
    """
    stored, _, _, scaling, _ = _load(proxy.minc_file._mincfile.filename)
    values = stored if scaling is None else _scaled(*_clipped(stored, scaling))
    return values if dtype is None else values.astype(dtype, copy=False)


def read_image(path, image, out):
    """Read an HDF5 dataset into ``out``: deflate chunks decompressed by ISA-L on a thread pool, else h5py.

    minc-tools write MINC2 images zlib-compressed in chunks; h5py would inflate
    them with zlib, one at a time. Datasets with any other filter, or with
    chunks never written (fill value), are read by h5py.
    """
    import h5py

    plist = image.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    chunks = image.chunks
    if chunks is None or filters != [h5py.h5z.FILTER_DEFLATE]:
        image.read_direct(out)
        return
    grid = [-(-size // step) for size, step in zip(image.shape, chunks)]
    count = image.id.get_num_chunks()
    if count != int(np.prod(grid)):
        image.read_direct(out)
        return
    from concurrent.futures import ThreadPoolExecutor

    from isal import isal_zlib

    want = int(np.prod(chunks)) * image.dtype.itemsize

    def one(index):
        offset = image.id.get_chunk_info(index).chunk_offset
        mask, raw = image.id.read_direct_chunk(offset)
        try:
            data = raw if mask & 1 else isal_zlib.decompress(raw)  # mask bit 0: deflate skipped for this chunk
        except isal_zlib.error as err:
            raise file_error(path, f"image chunk {offset}", len(raw), f"cannot inflate: {err}") from err
        if len(data) != want:
            raise file_error(path, f"image chunk {offset}", len(data), f"must hold {want} bytes")
        block = np.frombuffer(data, image.dtype).reshape(chunks)
        region = tuple(slice(o, min(o + c, n)) for o, c, n in zip(offset, chunks, image.shape))
        out[region] = block[tuple(slice(0, r.stop - r.start) for r in region)]

    with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
        for _ in pool.map(one, range(count)):
            pass


def _attrs(obj, **values):
    for key, value in values.items():
        obj.attrs[key] = np.bytes_(value) if isinstance(value, str) else value


def _standard(obj, vartype):
    _attrs(obj, varid="MINC standard variable", vartype=vartype, version="MINC Version    1.0")


def _geometry(affine):
    """(steps, starts, direction cosines) of x, y, z from a RAS+ affine, as nii2mnc computes them."""
    cols = affine[:3, :3]
    steps = np.sqrt((cols**2).sum(axis=0))
    steps[steps == 0] = 1.0
    cosines = cols / steps
    starts = np.linalg.solve(cosines, affine[:3, 3])
    return steps, starts, cosines


def _disk_values(vol, path):
    """(array to write, integer?): stored integers up to 32 bits, else real values as float32/float64."""
    stored = vol.stored
    if stored.dtype == bool:
        return stored.astype(np.uint8), True
    if stored.dtype.kind in "iu" and stored.dtype.itemsize <= 4:
        return stored, True
    if stored.dtype.kind not in "iuf":
        raise UnsupportedError(f"{os.fspath(path)}: dtype={stored.dtype}: MINC2 has no such voxel type")
    values = vol.array
    if values.dtype.kind == "f":
        return (values if values.dtype.itemsize in (4, 8) else values.astype(np.float32)), False
    exact = values.astype(np.float64)
    if values.size and not np.array_equal(exact.astype(values.dtype), values):
        raise UnsupportedError(f"{os.fspath(path)}: dtype={values.dtype}: values beyond 2**53 have no exact "
                               "MINC2 type")
    return exact, False


def write(vol, path, *, compression=None):
    """Write a ``Volume`` as MINC2, readable by nibabel, SimpleITK and minc-tools.

    Parameters
    ----------
    vol : Volume
        3-D or 4-D (the fourth axis becomes ``time``, its step ``vol.time_step`` seconds).
    path : str or os.PathLike
        Output ``.mnc`` file, written atomically.
    compression : int, optional
        HDF5 gzip level for the image (chunked by slice); default none.

    Examples
    --------
    >>> import numpy as np, tempfile, os, nibabel as nib
    >>> from medfast.volume import Volume
    >>> p = os.path.join(tempfile.mkdtemp(), "a.mnc")
    >>> write(Volume(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4)), p)
    >>> nib.load(p).get_fdata()[1, 2, 3]
    np.float64(23.0)
    """
    import h5py

    from .._atomic import atomic_path

    if vol.stored.ndim not in (3, 4):
        raise InvalidArgumentError(f"{os.fspath(path)}: shape={vol.shape}: MINC2 output must be 3-D or 4-D")
    data, integer = _disk_values(vol, path)
    names = ["time"] * (data.ndim == 4) + list(_SPATIAL)  # slowest first
    file_data = np.moveaxis(data, 3, 0) if data.ndim == 4 else data  # (t,) x, y, z
    steps, starts, cosines = _geometry(vol.affine)
    if integer:
        info = np.iinfo(data.dtype)
        vmin, vmax = float(info.min), float(info.max)
        imin, imax = vol.slope * vmin + vol.inter, vol.slope * vmax + vol.inter
    else:
        finite = data[np.isfinite(data)]
        vmin = imin = float(finite.min()) if finite.size else 0.0
        vmax = imax = float(finite.max()) if finite.size else 1.0
    scale_shape = file_data.shape[:-2]  # image-min/max vary over all but the two fastest dimensions
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        root = f.create_group(_ROOT)
        _attrs(root, ident=f"medfast:{os.getpid()}", minc_version="2.1.12", history="medfast write\n")
        dims = root.create_group("dimensions")
        info = root.create_group("info")
        if vol.time_step and vol.time_unit in (None, "s", "ms", "us"):
            _attrs(info.create_group("acquisition"), repetition_time=float(vol.time_step))  # seconds, as dcm2mnc
        for name, length in zip(names, file_data.shape):
            d = dims.create_dataset(name, shape=(), dtype=np.int32)
            _standard(d, "dimension____")
            _attrs(d, length=np.uint32(length), spacing="regular__", alignment="centre",
                   units="s" if name == "time" else "mm", comments=_COMMENTS[name])
            if name == "time":
                _attrs(d, start=0.0, step=float(vol.time_step) if vol.time_step else 1.0)
            else:
                axis = _SPATIAL.index(name)
                _attrs(d, start=float(starts[axis]), step=float(steps[axis]),
                       direction_cosines=cosines[:, axis].astype(np.float64), spacetype="native____")
        group = root.create_group("image").create_group("0")
        kwargs = {}
        if compression is not None:
            kwargs = {"compression": "gzip", "compression_opts": int(compression),
                      "chunks": (1,) * (file_data.ndim - 2) + file_data.shape[-2:]}
        image = group.create_dataset("image", shape=file_data.shape, dtype=data.dtype.newbyteorder("<"), **kwargs)
        _write_slabs(image, file_data)
        _standard(image, "group________")
        _attrs(image, dimorder=",".join(names), complete="true_", valid_range=np.array([vmin, vmax]),
               signtype="signed__" if data.dtype.kind in "if" else "unsigned")
        for key, value in (("image-min", imin), ("image-max", imax)):
            ds = group.create_dataset(key, data=np.full(scale_shape, value, np.float64))
            _standard(ds, "var_attribute")
            _attrs(ds, dimorder=",".join(names[: len(scale_shape)]))


def _write_slabs(image, data):
    """Write ``data`` (any memory layout) into the C-ordered dataset a slab of the slowest axis at a time."""
    per_item = max(1, int(np.prod(data.shape[1:])) * data.dtype.itemsize)
    step = max(1, (8 << 20) // per_item)
    for start in range(0, data.shape[0], step):
        image[start:start + step] = np.ascontiguousarray(data[start:start + step])
