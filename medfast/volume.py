"""``Volume``: the one image model every reader returns and every writer takes."""
from __future__ import annotations

import numpy as np

from .errors import InvalidArgumentError

#: Units of ``Volume.time_unit``: times (``time_step`` in seconds) and the spectral units NIfTI names.
TIME_UNITS = ("s", "ms", "us", "hz", "ppm", "rad/s")
#: Units of ``Volume.spatial_unit``.
SPATIAL_UNITS = ("mm", "m", "um")

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
    """An image: voxel values, the voxel-to-RAS+ affine, its timing and units, and what the source said.

    Parameters
    ----------
    array : numpy.ndarray
        The voxels as stored, 1-D or more, indexed i, j, k[, t] as nibabel indexes them.
    affine : array_like, shape (4, 4)
        Voxel index to RAS+ millimetres.
    meta : dict, optional
        What the source said: modality, the DICOM tags a sidecar needs. Writers
        do not read it: what they need is in the typed fields below.
    slope, inter : float
        Uniform scaling from stored to real-world values (``scl_slope``,
        ``scl_inter``). Writers keep the stored integers and write these into
        the header, as dcm2niix does; ``array`` applies them.
    time_step : float, optional
        Step of the fourth axis (for DICOM: the repetition time, also on 3-D
        volumes, as dcm2niix writes it in ``pixdim[4]``). In seconds when
        ``time_unit`` is a time (``"s"``, ``"ms"``, ``"us"``: the unit only says
        how the source wrote it, so a writer can write it the same way); in
        the unit itself for ``"hz"``, ``"ppm"``, ``"rad/s"``. None: not known.
    time_unit : str, optional
        One of :data:`TIME_UNITS`, or None (not said).
    spatial_unit : str, optional
        The unit the source gave the affine's lengths: ``"mm"`` (default, what
        medfast's readers and writers take the affine to be in), ``"m"``,
        ``"um"``, or None (not said). Kept so a NIfTI file's ``xyzt_units``
        survives a round trip; nothing is converted.
    slice_times : sequence of float, optional
        Acquisition time of each slice along axis k, in seconds from the start
        of the volume.
    nifti_fields : dict, optional
        NIfTI header fields that no other format holds and that the typed
        fields do not decide, by their NIfTI name (:data:`NIFTI_FIELDS`):
        ``descrip``, ``aux_file``, ``intent_name`` (str), ``dim_info``,
        ``slice_code``, ``slice_start``, ``slice_end``, ``slice_duration``,
        ``toffset``, ``intent_code``, ``intent_p1..3``, ``cal_min``,
        ``cal_max``, ``pixdim5..7`` (numbers), ``qform_code``, ``sform_code``
        (default 1, scanner, as dcm2niix writes). The NIfTI reader fills it
        from the file; the dcm2niix rules fill it for DICOM; the NIfTI writer
        (:func:`medfast.formats.nifti.build_header`) writes it.

    Examples
    --------
    >>> import numpy as np
    >>> v = Volume(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4), slope=1, inter=-1024)
    >>> v.array.dtype, int(v.array[1, 1, 1])
    (dtype('int16'), -1017)
    >>> v.shape
    (2, 2, 2)
    >>> Volume(np.zeros((2, 2, 2, 3), np.uint8), np.eye(4), time_step=2.0, time_unit="s").time_step
    2.0
    """

    __slots__ = ("stored", "affine", "meta", "slope", "inter", "_array", "time_step", "time_unit", "spatial_unit",
                 "slice_times", "nifti_fields")

    def __init__(self, array, affine, meta=None, *, slope=1.0, inter=0.0, time_step=None, time_unit=None,
                 spatial_unit="mm", slice_times=None, nifti_fields=None):
        stored = np.asanyarray(array)
        affine = np.array(affine, dtype=np.float64)
        if affine.shape != (4, 4):
            raise InvalidArgumentError(f"Volume: affine must be 4x4, got shape {affine.shape}")
        if stored.ndim < 1:
            raise InvalidArgumentError("Volume: array must have 1 or more axes, got a scalar")
        if time_unit not in TIME_UNITS + (None,):
            raise InvalidArgumentError(f"Volume: time_unit={time_unit!r}: not one of {TIME_UNITS} or None")
        if spatial_unit not in SPATIAL_UNITS + (None,):
            raise InvalidArgumentError(f"Volume: spatial_unit={spatial_unit!r}: not one of {SPATIAL_UNITS} or None")
        self.stored = stored
        self.affine = affine
        self.meta = {} if meta is None else dict(meta)
        self.slope = float(slope)
        self.inter = float(inter)
        self._array = stored if (self.slope, self.inter) == (1.0, 0.0) else None
        # until the DICOM code stops writing them: the reader's old meta keys stand in for the typed fields
        if time_step is None and self.meta.get("repetition_time"):
            time_step, time_unit = self.meta["repetition_time"], time_unit or "s"
        if slice_times is None and self.meta.get("slice_times") is not None:
            slice_times = self.meta["slice_times"]
        self.time_step = None if time_step is None else float(time_step)
        self.time_unit = time_unit
        self.spatial_unit = spatial_unit
        self.slice_times = None if slice_times is None else tuple(float(t) for t in slice_times)
        self.nifti_fields = {} if nifti_fields is None else dict(nifti_fields)

    def replace(self, **changes):
        """A new ``Volume`` with the same fields but those given (``stored``/``array``, ``affine``, ``slope`` ...).

        Derived volumes (a resampled or reoriented copy) keep the timing, units
        and NIfTI fields this way.

        Examples
        --------
        >>> import numpy as np
        >>> v = Volume(np.zeros((2, 2, 2), np.int16), np.eye(4), time_step=2.0, time_unit="s")
        >>> w = v.replace(array=np.ones((2, 2, 4), np.int16))
        >>> w.shape, w.time_step
        ((2, 2, 4), 2.0)
        """
        fields = {"array": self.stored, "affine": self.affine, "meta": self.meta, "slope": self.slope,
                  "inter": self.inter, "time_step": self.time_step, "time_unit": self.time_unit,
                  "spatial_unit": self.spatial_unit, "slice_times": self.slice_times,
                  "nifti_fields": self.nifti_fields}
        if "stored" in changes:
            changes["array"] = changes.pop("stored")
        unknown = set(changes) - set(fields)
        if unknown:
            raise InvalidArgumentError(f"Volume.replace: unknown fields {sorted(unknown)}")
        fields.update(changes)
        array, affine, meta = fields.pop("array"), fields.pop("affine"), fields.pop("meta")
        return Volume(array, affine, meta, **fields)

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

    def to_nibabel(self, nifti2=False):
        """The volume as a ``nibabel.Nifti1Image`` (or ``Nifti2Image``): stored values with scl_slope/scl_inter.

        Its header is the one ``medfast.write`` writes (:func:`medfast.formats.nifti.build_header`).

        Examples
        --------
        >>> import numpy as np
        >>> img = Volume(np.zeros((2, 3, 4), np.int16), np.eye(4), time_step=2.0, time_unit="s").to_nibabel()
        >>> img.shape, float(img.header["pixdim"][4]), int(img.header["xyzt_units"])
        ((2, 3, 4), 2.0, 10)
        """
        from .formats import nifti

        return nifti.to_nibabel(self, nifti2=nifti2)

    def __repr__(self):
        zooms = ", ".join(f"{z:.4g}" for z in self.zooms)
        timing = "" if self.time_step is None else f" time_step={self.time_step:g}"
        return (f"<Volume shape={self.shape} dtype={self.stored.dtype} zooms=({zooms}) slope={self.slope:g} "
                f"inter={self.inter:g}{timing}>")
