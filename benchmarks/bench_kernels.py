"""Each pixel kernel against its NumPy twin, with a plain copy of the same bytes as the floor.

Data: a 300 x 512 x 512 int16 CT-like volume (air outside a disc of tissue),
its big-endian bytes, its 12-bit and 1-bit packings and its RLE encoding; 4 x 64
x 64 under ``--benchmark-disable``, where every benchmark runs once and its
result is checked against the twin's. One group a kernel operation; params
``medfast`` (the compiled kernel, called directly as the wrappers call it),
``twin`` (``medfast._kernels._reference``) and ``copy`` (``np.copyto`` of the
volume's 157 MB, the floor); the stacking groups add ``medfast-2threads``
(frames spread over a 2-thread pool) and ``medfast-wrapper`` (each frame through the
validating ``medfast.kernels.place_frame``, as the readers call it). Palette lookup runs on the first third
of the frames (its output is three times the input).
"""
from __future__ import annotations

import importlib
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from medfast import kernels
from medfast._kernels import _reference

MINE = ("_byteswap", "_bits", "_rescale", "_stack", "_rle", "_photometric")


def _compiled():
    funcs = {}
    for topic in MINE:
        module = importlib.import_module(f"medfast._kernels.{topic}")
        funcs.update({name: getattr(module, name) for name in module.__all__})
    return types.SimpleNamespace(**funcs)


IMPLS = {"medfast": _compiled(), "twin": _reference}


def _rle_segment(plane):
    """PackBits of one byte plane in 128-byte chunks: a replicate run where a chunk is constant."""
    n = plane.size - plane.size % 128
    chunks = plane[:n].reshape(-1, 128)
    const = (chunks == chunks[:, :1]).all(axis=1)
    rows = np.empty((len(chunks), 129), np.uint8)
    rows[:, 0] = np.where(const, 129, 127)
    rows[:, 1:] = chunks
    keep = np.ones(rows.shape, bool)
    keep[const, 2:] = False
    tail = plane[n:]
    return rows[keep].tobytes() + (bytes([len(tail) - 1]) + tail.tobytes() if len(tail) else b"")


def _rle_frame(frame):
    """An RLE Lossless frame of an int16 image: the high byte plane, then the low one."""
    u = frame.reshape(-1).view(np.uint16)
    segments = [_rle_segment((u >> 8).astype(np.uint8)), _rle_segment((u & 0xFF).astype(np.uint8))]
    header = np.zeros(16, "<u4")
    header[:3] = (2, 64, 64 + len(segments[0]))
    return header.tobytes() + b"".join(segments)


@pytest.fixture(scope="session")
def data(small):
    frames, side = (4, 64) if small else (300, 512)
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:side, :side]
    disc = (yy - side / 2) ** 2 + (xx - side / 2) ** 2 < (0.4 * side) ** 2
    vol = np.zeros((frames, side, side), np.int16)
    vol[:, disc] = rng.integers(900, 1400, (frames, int(disc.sum())), dtype=np.int16)
    flat = vol.reshape(-1)
    u = flat.view(np.uint16)
    packed12 = np.empty((flat.size // 2, 3), np.uint8)  # GDCM's layout, 4095 at most
    a, b = u[0::2] & 0xFFF, u[1::2] & 0xFFF
    packed12[:, 0], packed12[:, 1], packed12[:, 2] = a & 0xFF, (a >> 8) | ((b & 0xF) << 4), b >> 4
    d = types.SimpleNamespace(
        frames=frames,
        vol=vol,
        frame_bytes=vol[0].nbytes,
        le=vol.tobytes(),
        be=vol.astype(">i2").tobytes(),
        packed12=packed12.tobytes(),
        packed1=np.packbits(flat & 1, bitorder="little").tobytes(),
        rle=[_rle_frame(f) for f in vol],
        # the volume's bytes as 3-sample pixels (for the colour kernels)
        bytes=np.frombuffer(vol.tobytes(), np.uint8)[: vol.nbytes - vol.nbytes % 3],
    )
    d.rle_offsets = [np.array([64, np.frombuffer(f[8:12], "<u4")[0], len(f)], np.int64) for f in d.rle]
    return d


# ---- one function a group: (data, kernels) -> a zero-argument callable -----

OPS = {}


def op(name):
    def register(make):
        OPS[name] = make
        return make

    return register


@op("swap_bytes")
def _(d, k):
    out = np.empty(len(d.be), np.uint8)
    return lambda: k.swap_bytes(d.be, out, 2) or out


@op("unpack_12bit")
def _(d, k):
    out = np.empty(d.vol.size, np.uint16)
    return lambda: k.unpack_12bit(d.packed12, out) or out


@op("unpack_1bit")
def _(d, k):
    out = np.empty(d.vol.size, np.uint8)
    return lambda: k.unpack_1bit(d.packed1, out, 0) or out


@op("fix_stored_bits")
def _(d, k):
    arr = d.vol.reshape(-1).view(np.uint16).copy()  # idempotent: every round sees the same data
    return lambda: k.fix_stored_bits(arr, 12, 0, True) or arr


def _rescale(kind, dtype, slope, inter):
    def make(d, k):
        out = np.empty(d.vol.size, dtype)
        src = d.vol.reshape(-1)
        s, i = np.array([slope]), np.array([inter])
        func = k.rescale_float if kind == "float" else k.rescale_int
        return lambda: func(src, out, s, i, src.size) or out

    return make


op("rescale_float32")(_rescale("float", np.float32, 0.5, -1024.0))
op("rescale_float64")(_rescale("float", np.float64, 0.5, -1024.0))
op("rescale_int16")(_rescale("int", np.int16, np.int64(1), np.int64(-1024)))


def _stack(src_attr, out_dtype, args):
    """Every frame into its slot; ``args`` after (itemsize, kind): swap, bits, shift, slope, intercept."""

    def make(d, k, pool=None):
        src = getattr(d, src_attr)
        out = np.empty((d.frames, d.vol[0].size), out_dtype)
        swap, bits, _, slope, inter = args

        def one(f):
            if k is kernels:  # through the validating wrapper, as the readers call it
                kernels.place_frame(src, f * d.frame_bytes, out, f, stored_dtype=">i2" if swap else "<i2",
                                    bits_stored=bits or None, slope=slope, intercept=inter)
            else:
                k.place_frame(src, f * d.frame_bytes, out[f], 2, "i", *args)

        if pool is None:
            return lambda: [one(f) for f in range(d.frames)] and out
        return lambda: list(pool.map(one, range(d.frames))) and out

    return make


# a plain stack of little-endian int16 slices: the copy itself, in frames
op("stack_copy")(_stack("le", np.int16, (False, 0, 0, 1.0, 0.0)))
# the fused pass: big-endian, 12 bits stored, intercept -1024, into int16 (same bytes out as in)
op("stack_fused")(_stack("be", np.int16, (True, 12, 0, 1.0, -1024.0)))
# the same into float32, with a fractional slope
op("stack_fused_float32")(_stack("be", np.float32, (True, 12, 0, 0.5, -1024.0)))


@op("rle_decode_frame")
def _(d, k):
    out = np.empty((d.frames, d.frame_bytes), np.uint8)
    plane = d.vol[0].size

    def run():
        for f, (frame, offsets) in enumerate(zip(d.rle, d.rle_offsets)):
            assert k.rle_decode_frame(frame, out[f], offsets, plane, 2) == -1
        return out

    return run


@op("invert_monochrome1")
def _(d, k):
    arr = d.vol.reshape(-1).view(np.uint16).copy()
    return lambda: k.invert_monochrome1(arr, 12, False) or arr


@op("ybr_full_to_rgb")
def _(d, k):
    out = np.empty_like(d.bytes)
    return lambda: k.ybr_full_to_rgb(d.bytes, out) or out


@op("planar_to_interleaved")
def _(d, k):
    out = np.empty_like(d.bytes)
    return lambda: k.planar_to_interleaved(d.bytes, out, 3) or out


@op("apply_palette")
def _(d, k):
    idx = d.vol[: max(1, d.frames // 3)].reshape(-1).view(np.uint16)
    luts = np.random.default_rng(1).integers(0, 256, 3 * 4096, dtype=np.uint8)
    out = np.empty(3 * idx.size, np.uint8)
    return lambda: k.apply_palette(idx, out, luts, 3, 0) or out


STACKS = ("stack_copy", "stack_fused", "stack_fused_float32")
PARAMS = [(name, impl) for name in OPS for impl in ("medfast", "twin", "copy")] + [
    (name, impl) for name in STACKS for impl in ("medfast-2threads", "medfast-wrapper")
]


@pytest.fixture(scope="session")
def pool():
    with ThreadPoolExecutor(2) as p:
        yield p


@pytest.mark.parametrize("name, impl", PARAMS, ids=[f"{n}-{i}" for n, i in PARAMS])
def test_kernel(benchmark, data, small, pool, name, impl):
    benchmark.group = name
    if impl == "copy":
        dst = np.empty_like(data.vol)
        result = benchmark.pedantic(lambda: np.copyto(dst, data.vol) or dst, rounds=5, iterations=1)
        assert result.tobytes() == data.vol.tobytes()
        return
    if impl == "medfast-2threads":
        run = OPS[name](data, IMPLS["medfast"], pool)
    elif impl == "medfast-wrapper":
        run = OPS[name](data, kernels)
    else:
        run = OPS[name](data, IMPLS[impl])
    rounds = 1 if small else (2 if impl == "twin" else 5)
    result = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0 if small else 1)
    if small:  # checked once against the twin on the small data
        assert result.tobytes() == OPS[name](data, _reference)().tobytes()
