"""``Volume``: the one image model every reader returns and every writer takes."""
from __future__ import annotations

import numpy as np

from .errors import InvalidArgumentError

_INT_DTYPES = tuple(np.dtype(t) for t in ("u1", "i1", "u2", "i2", "u4", "i4", "i8"))


def scaled_dtype(stored_dtype, slope, inter, vmin, vmax):
    """The narrowest dtype that holds ``stored * slope + inter`` exactly.

    Integers when slope and intercept are integers and the scaled range
    ``[vmin, vmax]`` of the stored values fits; float64 otherwise (what
    ``nibabel``'s ``get_fdata`` and pydicom's ``apply_rescale`` give).

    Examples
    --------
    >>> scaled_dtype(np.uint16, 1.0, -1024.0, 0, 4095)
    dtype('int16')
    >>> scaled_dtype(np.int16, 0.5, 0.0, -10, 10)
    dtype('float64')
    """
    stored_dtype = np.dtype(stored_dtype)
    if stored_dtype.kind == "f":
        return np.result_type(stored_dtype, np.float64) if (slope, inter) != (1, 0) else stored_dtype
    if slope == 1 and inter == 0:
        return stored_dtype
    if float(slope).is_integer() and float(inter).is_integer():
        ends = [vmin * slope + inter, vmax * slope + inter]
        lo, hi = min(ends), max(ends)
        for dt in _INT_DTYPES:
            info = np.iinfo(dt)
            if info.min <= lo and hi <= info.max:
                return dt
    return np.dtype(np.float64)


class Volume:
    """An image: voxel values, the voxel-to-RAS+ affine, and what the source said.

    Parameters
    ----------
    array : numpy.ndarray
        The voxels as stored, indexed i, j, k[, t] as nibabel indexes them.
    affine : array_like, shape (4, 4)
        Voxel index to RAS+ millimetres.
    meta : dict, optional
        What the source said: modality, timing, the DICOM tags a sidecar needs.
    slope, inter : float
        Uniform scaling from stored to real-world values (``scl_slope``,
        ``scl_inter``). Writers keep the stored integers and write these into
        the header, as dcm2niix does; ``array`` applies them.

    Examples
    --------
    >>> import numpy as np
    >>> v = Volume(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4), slope=1, inter=-1024)
    >>> v.array.dtype, int(v.array[1, 1, 1])
    (dtype('int16'), -1017)
    >>> v.shape
    (2, 2, 2)
    """

    __slots__ = ("stored", "affine", "meta", "slope", "inter", "_array")

    def __init__(self, array, affine, meta=None, *, slope=1.0, inter=0.0):
        stored = np.asanyarray(array)
        affine = np.array(affine, dtype=np.float64)
        if affine.shape != (4, 4):
            raise InvalidArgumentError(f"Volume: affine must be 4x4, got shape {affine.shape}")
        if stored.ndim < 2:
            raise InvalidArgumentError(f"Volume: array must have 2 or more axes, got {stored.ndim}")
        self.stored = stored
        self.affine = affine
        self.meta = {} if meta is None else dict(meta)
        self.slope = float(slope)
        self.inter = float(inter)
        self._array = stored if (self.slope, self.inter) == (1.0, 0.0) else None

    @property
    def is_scaled(self):
        """True when ``array`` differs from ``stored`` by a slope or an intercept."""
        return (self.slope, self.inter) != (1.0, 0.0)

    @property
    def array(self):
        """Real-world values: ``stored * slope + inter`` in the narrowest exact dtype."""
        if self._array is None:
            from .kernels import rescale

            stored = self.stored
            vmin = vmax = 0
            # the range matters only where integer scaling may keep an integer dtype
            if stored.size and stored.dtype.kind in "iu" and self.slope.is_integer() and self.inter.is_integer():
                vmin, vmax = stored.min(), stored.max()
            dtype = scaled_dtype(stored.dtype, self.slope, self.inter, vmin, vmax)
            if stored.flags.f_contiguous and not stored.flags.c_contiguous:
                # NIfTI-ordered data: scale the C-ordered transpose, no reordering copy
                self._array = rescale(stored.T, self.slope, self.inter, dtype=dtype).T
            else:
                self._array = rescale(stored, self.slope, self.inter, dtype=dtype)
        return self._array

    @property
    def shape(self):
        """The array's shape."""
        return self.stored.shape

    @property
    def zooms(self):
        """Voxel sizes along i, j, k in mm, from the affine's columns."""
        return tuple(float(z) for z in np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0)))

    def to_nibabel(self):
        """The volume as a ``nibabel.Nifti1Image`` (stored values with scl_slope/scl_inter).

        Examples
        --------
        >>> import numpy as np
        >>> img = Volume(np.zeros((2, 3, 4), np.int16), np.eye(4)).to_nibabel()
        >>> img.shape
        (2, 3, 4)
        """
        import nibabel as nib

        img = nib.Nifti1Image(self.stored, self.affine)
        img.header.set_qform(self.affine, code=int(self.meta.get("qform_code", 1)))
        img.header.set_sform(self.affine, code=int(self.meta.get("sform_code", 1)))
        if self.is_scaled:
            img.header.set_slope_inter(self.slope, self.inter)
        return img

    def __repr__(self):
        zooms = ", ".join(f"{z:.4g}" for z in self.zooms)
        return f"<Volume shape={self.shape} dtype={self.stored.dtype} zooms=({zooms}) slope={self.slope:g} inter={self.inter:g}>"
