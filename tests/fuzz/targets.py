"""What the mutation test and the atheris fuzzers feed hostile bytes to, and what counts as a failure.

A *target* runs one medfast entry point on files written into a folder and
returns normally when medfast gave a value or raised an allowed error; anything
else propagates. Every target touches the lazy parts of what it gets back
(``Volume.array``), so the pixels are decoded too.

Allowed: ``MedfastError`` (whose cause chain holds no ``MemoryError``: a
``MemoryError`` means medfast tried to allocate more than the file can
justify, whatever it was wrapped in) and ``FileNotFoundError`` (the documented
answer for a missing companion file).
"""
from __future__ import annotations

import os
import struct

import numpy as np

import medfast
from medfast import kernels
from medfast.errors import MedfastError

#: Address-space limit for a worker or a fuzzer process, above what it holds after warming up.
ALLOCATION_MARGIN = 1 << 30


class Finding(Exception):
    """A target's outcome that breaks the promise: the original exception is chained."""


def _memory_in_chain(err):
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, MemoryError):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def signature(err):
    """Where an exception comes from: its root cause's class and the innermost medfast line of the chain."""
    import traceback

    chain = [err]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None and nxt not in chain:
        chain.append(nxt)
    for exc in reversed(chain):  # the root cause first
        where = [f"{f.filename.split('/medfast/')[-1]}:{f.lineno}" for f in traceback.extract_tb(exc.__traceback__)
                 if "/medfast/" in f.filename and "/tests/" not in f.filename]
        if where:
            return f"{type(chain[-1]).__name__} at {where[-1]}"
    return f"{type(chain[-1]).__name__} at ?"


def outcome(func, *args):
    """Run ``func(*args)``: the name of the allowed outcome, or raise ``Finding`` from what broke the promise."""
    try:
        func(*args)
    except (MedfastError, FileNotFoundError) as err:
        if _memory_in_chain(err):
            raise Finding(f"[{signature(err)}] MemoryError inside {type(err).__name__}: {err}") from err
        return type(err).__name__
    except Exception as err:  # noqa: BLE001 - anything else is what we are looking for
        raise Finding(f"[{signature(err)}] {type(err).__name__}: {err}") from err
    return "value"


def limit_memory(margin=ALLOCATION_MARGIN):
    """Cap this process's address space at what it maps now plus ``margin``: bigger allocations fail."""
    import resource

    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + margin, resource.RLIM_INFINITY))


# ---- the targets: (folder, main file name) -> None ----------------------------------


def read(folder, main):
    """``medfast.read`` of any registered format, pixels included."""
    vol = medfast.read(os.path.join(folder, main))
    np.asarray(vol.array)
    np.asarray(vol.affine)


def read_dicom(folder, main):
    """``medfast.read_dicom`` of the whole folder (``main`` is the mutated file)."""
    for vol in medfast.read_dicom(folder):
        np.asarray(vol.array)
        np.asarray(vol.affine)


def read_dicom_file(folder, main):
    """``medfast.read_dicom`` of one file."""
    for vol in medfast.read_dicom(os.path.join(folder, main)):
        np.asarray(vol.array)


def scan(folder, main):
    """The DICOM scanner with its default tags."""
    from medfast.dicom.scan import scan as _scan

    _scan(os.path.join(folder, main))


class ParserRefused(Exception):
    """pydicom itself could not parse the file: ``pixel_array`` never sees a dataset."""


def pixel_array(folder, main):
    """``medfast.pixel_array`` of a dataset pydicom parsed (pydicom's own parse errors are not medfast's)."""
    import pydicom

    try:
        ds = pydicom.dcmread(os.path.join(folder, main))
    except Exception as err:  # noqa: BLE001 - pydicom's verdict on the file, before medfast runs
        raise ParserRefused(type(err).__name__) from err
    medfast.pixel_array(ds)


def convert(folder, main):
    """The bulk engine (``medfast.convert.bulk.run``) on the folder, or on the archive ``main`` when it is one.

    Every failure it reports must name the input (the folder, the archive or
    a file in them), and nothing partial may be left in the output folder:
    no work folder, no temporary, no journal.
    """
    import shutil

    from medfast.convert import bulk
    from medfast.convert.progress import Progress

    source = os.path.join(folder, main) if main.endswith((".zip", ".tar")) else folder
    out = folder.rstrip(os.sep) + "-out"
    shutil.rmtree(out, ignore_errors=True)
    try:
        try:
            summary = bulk.run([source], out, jobs=1, progress=Progress(enabled=False))
        except MedfastError as err:  # a file fails alone: the run itself must not stop
            raise AssertionError(f"bulk.run raised {type(err).__name__}: {err}") from err
        for failure in summary.failures:
            if not failure["source"].startswith(source):
                raise AssertionError(f"a failure that does not name the input: {failure}")
        left = [name for _, _, names in os.walk(out) for name in names
                if name.startswith(".medfast-") or name.endswith((".part", ".journal"))]
        if left or os.path.exists(os.path.join(out, bulk.WORK)):
            raise AssertionError(f"left behind in the output folder: {left or bulk.WORK}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def pack(files, kind):
    """The bytes of a zip or tar archive holding ``files`` ({name: bytes}), the same bytes for the same files."""
    import io
    import tarfile
    import zipfile

    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(files.items()):
                zf.writestr(zipfile.ZipInfo(f"series/{name}", (2026, 1, 1, 0, 0, 0)), data)
    else:
        with tarfile.open(fileobj=buf, mode="w") as tf:
            for name, data in sorted(files.items()):
                info = tarfile.TarInfo(f"series/{name}")
                info.size, info.mtime = len(data), 1767225600
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# ---- kernel targets: one bytes blob carries the arguments and the data ------------------


def rle(blob):
    """``kernels.rle_decode_frame``: rows, columns (u16 each), samples, bits allocated (u8 each), then the frame."""
    if len(blob) < 6:
        return
    rows, columns, spp, bits = struct.unpack_from("<HHBB", blob)
    kernels.rle_decode_frame(blob[6:], rows, columns, spp, bits)


def bits(blob):
    """The bit and byte kernels: op, count (u32), two parameters (u8 each), then the data."""
    if len(blob) < 7:
        return
    op, count, p, q = struct.unpack_from("<BIBB", blob)
    data = blob[7:]
    op %= 5
    if op == 0:
        kernels.unpack_1bit(data, count, p)
    elif op == 1:
        kernels.unpack_12bit(data, count)
    elif op == 2:
        kernels.swap_bytes(bytearray(data), p)
    elif op == 3:
        arr = np.frombuffer(bytearray(data[: len(data) // 2 * 2]), np.uint16 if q & 1 else np.int16)
        kernels.fix_stored_bits(arr, p, q >> 1)
    else:
        arr = np.frombuffer(bytearray(data[: len(data) // 2 * 2]), np.uint16 if q & 1 else np.int16)
        kernels.invert_monochrome1(arr, p, bool(q & 2))


FILE_TARGETS = {
    "read": read,
    "read_dicom": read_dicom,
    "read_dicom_file": read_dicom_file,
    "scan": scan,
    "pixel_array": pixel_array,
    "convert": convert,
    "convert_zip": convert,
    "convert_tar": convert,
}
BLOB_TARGETS = {"rle": rle, "bits": bits}


def run_files(target, folder, files, main):
    """Write ``files`` ({name: bytes}) into ``folder`` and run a file target on it: the outcome's name."""
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    try:
        return outcome(FILE_TARGETS[target], folder, main)
    except Finding as finding:
        if isinstance(finding.__cause__, ParserRefused):
            return "pydicom-refused"
        raise


def run_blob(target, blob):
    """Run a kernel target on a blob: the outcome's name."""
    return outcome(BLOB_TARGETS[target], blob)
