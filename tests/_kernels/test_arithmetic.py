"""Hypothesis on the arithmetic: rescale, stored-bits fix and the fused frame decode,
compiled against the twin and against the formulas the oracles use."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from medfast import kernels
from medfast._kernels import _reference, _rescale, _stack

INT_DTYPES = st.sampled_from(["u1", "i1", "u2", "i2", "u4", "i4"])
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
# pixel values in every dtype, 0 to 50 of them
stored_arrays = INT_DTYPES.flatmap(lambda dt: hnp.arrays(dt, st.integers(0, 50)))
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(stored_arrays, finite, finite)
def test_rescale_float64_is_the_pydicom_formula(stored, slope, inter):
    got = kernels.rescale(stored, slope, inter, dtype=np.float64)
    want = stored.astype(np.float64) if (slope, inter) == (1, 0) else stored.astype(np.float64) * slope + inter
    assert got.tobytes() == want.tobytes()


@FAST
@given(stored_arrays, finite, finite)
def test_rescale_float32_is_the_numpy_formula(stored, slope, inter):
    got = kernels.rescale(stored, slope, inter, dtype=np.float32)
    f = np.float32
    want = stored.astype(f) if (slope, inter) == (1, 0) else stored.astype(f) * f(slope) + f(inter)
    assert got.tobytes() == want.tobytes()


@FAST
@given(INT_DTYPES, st.integers(1, 6), st.integers(0, 40), st.data())
def test_rescale_per_frame_compiled_equals_twin(dtype, frames, frame_len, data):
    stored = data.draw(hnp.arrays(dtype, frames * frame_len))
    slope = np.array(data.draw(st.lists(finite, min_size=frames, max_size=frames)))
    inter = np.array(data.draw(st.lists(finite, min_size=frames, max_size=frames)))
    for out_dtype in (np.float32, np.float64):
        a, b = np.zeros(stored.size, out_dtype), np.zeros(stored.size, out_dtype)
        _rescale.rescale_float(stored, a, slope, inter, frame_len)
        _reference.rescale_float(stored, b, slope, inter, frame_len)
        assert a.tobytes() == b.tobytes()


def _fix_model(value, width, bits, shift, signed):
    """The stored value as DICOM defines it, with Python integers."""
    v = (value >> shift) & ((1 << bits) - 1)
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v % (1 << width)


@FAST
@given(st.sampled_from(["u1", "u2", "u4", "u8"]), st.data())
def test_fix_stored_bits_is_the_dicom_rule(dtype, data):
    width = 8 * np.dtype(dtype).itemsize
    bits = data.draw(st.integers(1, width))
    high = data.draw(st.integers(bits - 1, width - 1))
    signed = data.draw(st.booleans())
    arr = data.draw(hnp.arrays(dtype, st.integers(0, 30)))
    want = [_fix_model(int(v), width, bits, high - bits + 1, signed) for v in arr]
    kernels.fix_stored_bits(arr, bits, high, signed)
    assert [int(v) for v in arr] == want


@FAST
@given(
    st.sampled_from(["u1", "i1", "u2", "i2", "u4", "i4", "f4", "f8"]),
    st.sampled_from("<>"),
    st.sampled_from(["i4", "f4", "f8"]),
    st.integers(0, 4),
    st.data(),
)
def test_place_frame_compiled_equals_twin(stored, order, out, offset, data):
    sdt = np.dtype(stored).newbyteorder(order)
    values = data.draw(hnp.arrays(sdt, st.integers(0, 40)))
    src = b"\x5a" * offset + values.tobytes()
    width = 8 * sdt.itemsize
    bits = 0 if sdt.kind == "f" else data.draw(st.sampled_from([0, 1, max(1, width - 4), width]))
    shift = data.draw(st.integers(0, width - bits)) if bits else 0
    if np.dtype(out).kind == "f":
        slope, inter = data.draw(finite), data.draw(finite)
    elif sdt.kind == "f":
        return  # float stored values never go to integer outputs (the wrapper refuses)
    else:
        slope, inter = float(data.draw(st.integers(-3, 3))), float(data.draw(st.integers(-1000, 1000)))
    args = (sdt.itemsize, sdt.kind, order == ">" and sdt.itemsize > 1, bits, shift, slope, inter)
    a, b = np.zeros(values.size, out), np.zeros(values.size, out)
    _stack.place_frame(src, offset, a, *args)
    _reference.place_frame(src, offset, b, *args)
    assert a.tobytes() == b.tobytes()
