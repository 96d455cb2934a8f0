"""What the mutation test and the atheris fuzzers feed hostile bytes to, and what counts as a failure.

A *target* runs one medfast entry point on files written into a folder and
returns normally when medfast gave a value or raised an allowed error; anything
else propagates. Every target touches the lazy parts of what it gets back
(``Volume.array``), so the pixels are decoded too.

Allowed: ``MedfastError`` (whose cause chain holds no ``MemoryError``: a
``MemoryError`` means medfast tried to allocate more than the file can
justify, whatever it was wrapped in) and ``FileNotFoundError`` (the documented
answer for a missing companion file). An exception Python could only report
as "ignored" (a bounds check of the debug build failing inside a ``noexcept``
kernel, an error in a ``__del__``) breaks the promise too, and so does an
error an engine swallowed into its failure list that is not a ``MedfastError``.
"""
from __future__ import annotations

import contextlib
import io
import os
import struct
import sys

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


class Unraisable(Exception):
    """What Python reported as ignored while a target ran (``sys.unraisablehook``)."""


_IGNORED = []


def _keep_ignored(info):
    _IGNORED.append(info)


def _check_ignored():
    """Raise ``Unraisable`` for the first exception reported as ignored since the last call."""
    if _IGNORED:
        info = _IGNORED[0]
        _IGNORED.clear()
        raise Unraisable(f"{info.exc_type.__name__} ignored in {info.object!r}: {info.exc_value}") from info.exc_value


def outcome(func, *args):
    """Run ``func(*args)``: the name of the allowed outcome, or raise ``Finding`` from what broke the promise."""
    sys.unraisablehook = _keep_ignored
    _IGNORED.clear()
    try:
        try:
            func(*args)
        finally:
            _check_ignored()
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


def header(folder, main):
    """``read_header`` (then ``scan``'s raw-data-set path) and every ``Header`` method on every element, items too.

    ``ScannedHeader`` decodes lazily: ``get``, ``vr``, ``in``, ``raw``,
    ``find``, ``private`` and ``last`` of each element of the data set and of
    the first items of its sequences (``items``, ``sequences``, ``frames``,
    with ``find``/``private`` per frame), and ``walk`` of the whole file.
    Each value must be of the plain types ``medfast.dicom.header`` promises.
    """
    from medfast.dicom.scan import NotPart10, read_header, scan as _scan

    path = os.path.join(folder, main)
    try:
        found = read_header(path)
    except NotPart10:
        _scan(path)
        return
    h = found.header
    for _, vr, value in h.walk():
        _plain(value, vr)
    _visit(h, 0)
    _primed_as_lazy(h)


_PLAIN = (type(None), int, float, str, bytes)
_VISITS = 400  # elements per nesting level, items per sequence: a bound on the work, not on the file


def _plain(value, vr):
    values = value if isinstance(value, tuple) else (value,)
    if vr == "SQ" and value is not None or not all(isinstance(v, _PLAIN) for v in values):
        raise TypeError(f"{vr} value {value!r} is not of a plain type")


def _visit(h, depth):
    tags = list(h.children()) if hasattr(h, "children") else [int(tag) for tag in h.dataset.keys()]
    for tag in tags[:_VISITS]:
        value = h.get(tag)
        if h.vr(tag) != "SQ":
            _plain(value, h.vr(tag))
        _ = tag in h, h.raw(tag), h.find(tag), h.private(tag), h.last(tag)
    frames = h.frames()
    for frame in range(min(len(frames), 3)):
        h.find("EchoTime", frame=frame), h.private(0x2005100E, frame=frame)  # Philips' scale slope, nested
    if depth < 4:
        for _, items in h.sequences():
            for item in items[:3]:
                _visit(item, depth + 1)


def _primed_as_lazy(h):
    """The values ``ScannedHeader.prime`` took from the kernels (the record's; the functional groups' of the first
    frames) equal those a header that primes nothing decodes element by element: one reading of the file."""
    from medfast.dicom import scanned
    from medfast.dicom.header import PER_FRAME, SHARED
    from medfast.dicom.scan import _RECORD

    class Lazy(scanned.ScannedHeader):
        __slots__ = ()

        def _prime_groups(self, frames):
            pass

    if not isinstance(h, scanned.ScannedHeader):  # pydicom's parse: nothing primed
        return
    lazy = Lazy(h.file)
    for tag in _RECORD.tags.tolist():
        _same_element(h, lazy, tag)
    for seq in (PER_FRAME, SHARED):
        for frame, lazy_frame in zip(h.items(seq)[:3], lazy.items(seq)[:3]):
            for group, _, plan in scanned._frame_record().groups:
                _same_element(frame, lazy_frame, group)
                for item, lazy_item in zip(frame.items(group)[:1], lazy_frame.items(group)[:1]):
                    for tag, *_ in plan.plan:
                        _same_element(item, lazy_item, tag)


def _same_element(primed, lazy, tag):
    got, want = (primed.vr(tag), primed.get(tag)), (lazy.vr(tag), lazy.get(tag))
    if got[0] == want[0] == "SQ":
        got, want = len(got[1]), len(want[1])
    if repr(got) != repr(want):  # types too (1 != 1.0), NaN equal to itself
        raise AssertionError(f"primed ({tag:08X}) {got!r:.200} != decoded alone {want!r:.200}")


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
            with _swallowed() as swallowed:
                summary = bulk.run([source], out, jobs=1, progress=Progress(enabled=False))
        except MedfastError as err:  # a file fails alone: the run itself must not stop
            raise AssertionError(f"bulk.run raised {type(err).__name__}: {err}") from err
        if swallowed:  # reported as a failure, but not a MedfastError: a bug the engine hid
            raise swallowed[0]
        for failure in summary.failures:
            if not failure["source"].startswith(source):
                raise AssertionError(f"a failure that does not name the input: {failure}")
        left = _partial(out)
        if left:
            raise AssertionError(f"left behind in the output folder: {left}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


@contextlib.contextmanager
def _swallowed():
    """The errors the bulk engine turns into failure lines (``failure_reason``) that are not a ``MedfastError``.

    The engine catches everything a series raises, so that one series cannot
    stop the run; without this a stray ``TypeError`` or a ``MemoryError``
    would pass as a broken file.
    """
    from medfast.convert import bulk, tasks

    original, found = tasks.failure_reason, []

    def checked(err, names):
        if not isinstance(err, MedfastError) or _memory_in_chain(err):
            found.append(err)
        return original(err, names)

    tasks.failure_reason = bulk.failure_reason = checked
    try:
        yield found
    finally:
        tasks.failure_reason = bulk.failure_reason = original


def _partial(out):
    """Temporaries, journals or the work folder left under ``out``."""
    from medfast.convert import bulk

    left = [name for _, _, names in os.walk(out) for name in names
            if name.startswith(".medfast-") or name.endswith((".part", ".journal"))]
    return left or ([bulk.WORK] if os.path.exists(os.path.join(out, bulk.WORK)) else [])


DCM2NIIX_ARGS = ("-b", "y", "-z", "n", "-f", "%p_%s", "-w", "2")


def dcm2niix(folder, main):
    """``medfast dcm2niix`` (``medfast.dcm2niix.cli.main``) on the folder, writing into a folder beside it.

    It must return an exit status (a file it cannot read is left out, named on
    standard error), and leave nothing partial; a ``MemoryError`` it reports
    as a reason counts as an allocation the file cannot justify.
    """
    import shutil

    from medfast.dcm2niix.cli import main as command

    out = folder.rstrip(os.sep) + "-out"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            code = command([*DCM2NIIX_ARGS, "-o", out, folder])
        if not isinstance(code, int):
            raise AssertionError(f"exit status {code!r}")
        if "MemoryError" in said.getvalue():
            raise MemoryError(said.getvalue()[-2000:])
        left = _partial(out)
        if left:
            raise AssertionError(f"left behind in the output folder: {left}")
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


INDEX_HEAD = struct.Struct("<BHI")  # flags, table rows (0: one per 8 bytes), start


def index(blob):
    """``index_elements`` (compiled in a build) against its NumPy twin: flags (u8: explicit VR, big endian, meta only),
    table rows (u16), start (u32), then the bytes.

    Both must give the same status, stop and rows, and the rows must hold
    together: each inside the buffer, after its parent, ending within the table.
    Then the kernels that read values through that table, ``decode_values``
    and ``decode_items``, against their twins (``_decode_twins``).
    """
    if len(blob) < INDEX_HEAD.size:
        return
    from medfast import _kernels
    from medfast._kernels import _reference

    flags, rows, start = INDEX_HEAD.unpack_from(blob)
    data = blob[INDEX_HEAD.size:]
    rows = rows or len(data) // 8 + 2
    args = (start, bool(flags & 1), bool(flags & 2), bool(flags & 4))
    got = []
    for kernel in (_kernels.index_elements, _reference.index_elements):  # compiled unless MEDFAST_PURE_PYTHON
        table, stop = np.full((rows, 7), -7, np.int64), np.zeros(5, np.int64)
        status = kernel(data, *args, table, stop)
        got.append((status, stop.tolist(), table[:max(0, min(int(stop[4]), rows))].tolist()))
    if got[0] != got[1]:
        raise AssertionError(f"index_elements{args} differs from its twin: {got[0][:2]} != {got[1][:2]}")
    status, stop, table = got[0]
    if status not in (0, 1, 2, -1, -2, -3, -4) or not 0 <= stop[4] <= rows:
        raise AssertionError(f"index_elements{args}: status {status}, stop {stop}")
    for r, (tag, vr, offset, length, parent, end, row_flags) in enumerate(table):
        size = 0 if length == 0xFFFFFFFF else length
        if not (-1 <= parent < r < end <= stop[4] and 0 <= tag < 1 << 32 and 8 <= offset and offset + size <= len(data)):
            raise AssertionError(f"index_elements{args}: row {r} {table[r]} does not hold together (of {stop[4]})")
    _decode_twins(data, np.array(table, np.int64).reshape(-1, 7), bool(flags & 2))


def _decode_twins(data, table, big):
    """``decode_values`` (the scanner's record) and ``decode_items`` (the functional groups, every row taken for an
    item, and two rows out of the table) on an indexed table, compiled against their twins: the same rows, counts,
    numbers and text; one text entry a text tag (the entries ``prime`` splits)."""
    from medfast import _kernels
    from medfast._kernels import _reference
    from medfast.dicom.scan import _RECORD
    from medfast.dicom.scanned import _frame_record

    items = np.array(list(range(min(len(table), 64))) + [-1, len(table)], np.int64)
    record, groups = _RECORD, _frame_record()
    calls = {
        "decode_values": lambda kernel: _decoded(kernel, data, table, big, record, None),
        "decode_items": lambda kernel: _decoded(kernel, data, table, big, groups, items),
    }
    for name, call in calls.items():
        got, want = call(getattr(_kernels, name)), call(getattr(_reference, name))
        if got != want:
            raise AssertionError(f"{name} differs from its twin: {got!r:.300} != {want!r:.300}")


def _decoded(kernel, data, table, big, record, items):
    """One kernel's output, the part it defines: (used, rows, counts, numbers counted, text entries) an item."""
    from medfast._kernels._reference import _text_entry

    nk, width = len(record.tags), int(record.first[-1])
    m = 1 if items is None else len(items)
    rows, counts, seq_rows = (np.full((m, nk), -7, np.int64) for _ in range(3))
    numbers, text = np.full((m, width), 7.5), np.full(len(data) + m * nk, 7, np.uint8)
    if items is None:
        used = kernel(data, table, big, record.tags, record.vrs, record.first, rows[0], counts[0], numbers[0], text)
    else:
        used = kernel(data, table, big, items, record.seqs, record.tags, record.vrs, record.first, seq_rows, rows,
                      counts, numbers, text)
    entries = sum(_text_entry(int(v)) for v in record.vrs)
    texts = bytes(text[:used]).split(b"\0")
    if not 0 <= used <= len(text) or len(texts) != m * entries + 1:
        raise AssertionError(f"text of {used} bytes in {len(texts) - 1} entries, {m * entries} expected")
    room = np.diff(record.first)
    out = []
    for i in range(m):
        if not np.all(counts[i] >= -1):
            raise AssertionError(f"counts {counts[i].tolist()}: -1 or a number of values")
        if not np.all((rows[i] >= -1) & (rows[i] < len(table))):
            raise AssertionError(f"rows {rows[i].tolist()} outside the table of {len(table)}")
        kept = [numbers[i, record.first[k]:record.first[k] + max(0, min(int(counts[i, k]), int(room[k])))].tobytes()
                for k in range(nk)]
        out.append((rows[i].tolist(), counts[i].tolist(), seq_rows[i].tolist() if items is not None else None, kept))
    return used, texts, out


FILE_TARGETS = {
    "read": read,
    "read_dicom": read_dicom,
    "read_dicom_file": read_dicom_file,
    "scan": scan,
    "header": header,
    "pixel_array": pixel_array,
    "convert": convert,
    "convert_zip": convert,
    "convert_tar": convert,
    "dcm2niix": dcm2niix,
}
BLOB_TARGETS = {"rle": rle, "bits": bits, "index": index}


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
