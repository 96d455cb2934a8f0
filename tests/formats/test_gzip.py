"""medfast._gzip: dcm2niix's size, one deterministic stream, round trips, truncation."""
import gzip
import io
import subprocess
import threading
import zlib

import numpy as np
import pytest

from medfast import _gzip
from medfast.errors import InvalidFileError
from support import require_tool

NIFTI1_HEADER = 352  # 348-byte header + 4-byte extension flag: what nifti.py and dcm2niix write first


def _smooth_volume(n=64):
    x = np.linspace(0, 6, n)
    rng = np.random.default_rng(0)
    vol = 1000 * np.sin(x)[:, None, None] * np.cos(x)[None, :, None] * np.ones(n)[None, None, :]
    return (vol + rng.normal(0, 5, vol.shape)).astype(np.int16)


def _compress(data, threads, chunk=None):
    """``data`` through medfast's writer: the first 352 bytes, then the rest in ``chunk``-byte writes."""
    view = memoryview(np.ascontiguousarray(data)).cast("B")
    buf = io.BytesIO()
    with _gzip.open_write(buf, threads=threads) as f:
        f.write(view[:NIFTI1_HEADER])
        if chunk is None:
            _gzip.write_buffer(f, view[NIFTI1_HEADER:])
        else:
            for start in range(NIFTI1_HEADER, len(view), chunk):
                f.write(view[start : start + chunk])
    return buf.getvalue()


# small blocks, then full ones and a partial one: primed, sync-flushed and joined
MULTI_BLOCK = _smooth_volume(160)  # 8.2 MB


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_round_trip_one_stream_and_determinism(threads):
    out = _compress(MULTI_BLOCK, threads)
    assert out == _compress(MULTI_BLOCK, 1)  # bytes do not depend on the thread count
    data = MULTI_BLOCK.tobytes()
    assert gzip.decompress(out) == data
    # zlib inflates a single gzip member only: all the data there means one stream, not members
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflater.decompress(out) == data and inflater.eof and not inflater.unused_data
    with _gzip.open_read(io.BytesIO(out)) as f:
        assert f.read() == data
    assert out[4:8] == b"\0\0\0\0"  # mtime 0
    assert out[3] & 0x08 == 0  # no file name field


def test_bytes_do_not_depend_on_write_sizes():
    # blocks are counted from the first byte, not from the caller's writes
    assert _compress(MULTI_BLOCK, 2, chunk=123_457) == _compress(MULTI_BLOCK, 2)


@pytest.mark.parametrize("size", [0, 1, _gzip.SMALL_BLOCK, _gzip.SMALL_BLOCK + 1, _gzip.RAMP + _gzip.BLOCK + 1])
def test_edge_sizes(size):
    data = bytes(range(256)) * (size // 256 + 1)
    buf = io.BytesIO()
    with _gzip.open_write(buf, threads=2) as f:
        _gzip.write_buffer(f, data[:size])
    assert gzip.decompress(buf.getvalue()) == data[:size]


def test_writes_a_path_that_nibabel_reads(tmp_path, corpus):
    import nibabel as nib

    src = corpus / "dcm_qa_enh" / "Ref" / "Siemens_REST1_w_SMS_PF7-8_6.nii"
    target = tmp_path / "x.nii.gz"
    with _gzip.open_write(target, threads=2) as f:
        f.write(src.read_bytes())
    ref, got = nib.load(src), nib.load(target)
    assert np.array_equal(np.asanyarray(got.dataobj), np.asanyarray(ref.dataobj))


def test_size_within_2_percent_of_dcm2niix(tmp_path, corpus):
    # the oracle: the dcm2niix command's own -z y on real DICOM (enhanced MR, where ISA-L level 3 is 1.12x)
    out = tmp_path / "ref"
    out.mkdir()
    subprocess.run([require_tool("dcm2niix"), "-b", "n", "-z", "y", "-f", "%v_%p_%s", "-o", str(out),
                    str(corpus / "dcm_qa_enh" / "In")], check=True, capture_output=True)
    written = sorted(out.glob("*.nii.gz"))
    assert len(written) == 3
    for path in written:
        theirs = path.read_bytes()
        ours = _compress(np.frombuffer(gzip.decompress(theirs), np.uint8), 2)
        assert len(ours) <= 1.02 * len(theirs), path.name


def test_errors_reach_the_caller(monkeypatch):
    with pytest.raises(ValueError, match="level"):
        _gzip.open_write(io.BytesIO(), level=42)
    deflate = _gzip._deflate_block

    def fail_after_first_block(data, primer, level, final):
        if len(primer):
            raise MemoryError("a later block")
        return deflate(data, primer, level, final)

    monkeypatch.setattr(_gzip, "_deflate_block", fail_after_first_block)
    with pytest.raises(MemoryError, match="a later block"), _gzip.open_write(io.BytesIO(), threads=2) as f:
        _gzip.write_buffer(f, MULTI_BLOCK)
    assert not [t for t in threading.enumerate() if t.name.startswith("medfast-gzip")]  # the pool is gone
    writer = _gzip.open_write(io.BytesIO())
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"x")


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
