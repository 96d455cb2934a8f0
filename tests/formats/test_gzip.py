"""medfast._gzip: ratio against zlib-6, deterministic bytes, round trips, truncation."""
import gzip
import io
import zlib

import numpy as np
import pytest

from medfast import _gzip
from medfast.errors import InvalidFileError


def _smooth_volume(n=64):
    x = np.linspace(0, 6, n)
    rng = np.random.default_rng(0)
    vol = 1000 * np.sin(x)[:, None, None] * np.cos(x)[None, :, None] * np.ones(n)[None, None, :]
    return (vol + rng.normal(0, 5, vol.shape)).astype(np.int16)


def _compress(data, threads):
    buf = io.BytesIO()
    with _gzip.open_write(buf, threads=threads) as f:
        _gzip.write_buffer(f, data)
    return buf.getvalue()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_round_trip_and_determinism(threads):
    data = _smooth_volume()
    out = _compress(data, threads)
    assert gzip.decompress(out) == data.tobytes()
    assert out == _compress(data, 1)  # bytes do not depend on the thread count
    assert out[4:8] == b"\0\0\0\0"  # mtime 0
    assert out[3] & 0x08 == 0  # no file name field


def test_ratio_within_5_percent_of_zlib6(corpus):
    # a real scan: synthetic noise compresses unlike anatomy
    data = (corpus / "dcm_qa_xa30" / "Ref" / "5_anat-T1w_acq-tfl.nii").read_bytes()
    assert len(_compress(data, 2)) <= 1.05 * len(zlib.compress(data, 6))


def test_readinto_exact_and_truncation():
    data = _smooth_volume(32)
    blob = gzip.compress(data.tobytes())
    out = np.empty_like(data)
    with _gzip.open_read(io.BytesIO(blob)) as f:
        _gzip.readinto_exact(f, out)
    assert np.array_equal(out, data)
    with pytest.raises(InvalidFileError, match="x.gz"), _gzip.open_read(io.BytesIO(blob[: len(blob) // 2])) as f:
        _gzip.readinto_exact(f, out, "x.gz")
    with pytest.raises(InvalidFileError, match="ends after"):
        _gzip.readinto_exact(io.BytesIO(b"abc"), np.empty(8, np.uint8), "y")


def test_corrupt_stream_names_the_file():
    blob = bytearray(gzip.compress(_smooth_volume(16).tobytes()))
    blob[20:40] = b"\xff" * 20
    with pytest.raises(InvalidFileError, match="bad.gz"), _gzip.open_read(io.BytesIO(bytes(blob))) as f:
        _gzip.readinto_exact(f, np.empty(16**3, np.int16), "bad.gz")


def test_is_gzip():
    assert _gzip.is_gzip(gzip.compress(b""))
    assert not _gzip.is_gzip(b"\x5c\x01")
