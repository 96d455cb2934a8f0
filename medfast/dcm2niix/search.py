"""Which files dcm2niix reads from an input folder, in its order (``searchDirForDICOM``).

dcm2niix walks a folder in the order the file system lists it (``readdir``:
not sorted), going into each sub-folder where it meets it, at most ``-d``
levels down. It skips hidden entries and files named DICOMDIR, and keeps a
file that is at least 256 bytes long and either carries ``DICM`` at byte 128
or starts with a group 0008 element (DICOM without the Part 10 preamble).
That list is what ``Found N DICOM file(s)`` counts, and its order decides the
order in which dcm2niix converts.
"""
from __future__ import annotations

import os

_MIN_BYTES = 256
_PROBE_BYTES = 1024
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}


def _head(path, size):
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def _is_candidate(head):
    if len(head) < _MIN_BYTES:
        return False
    return head[128:132] == b"DICM" or (head[0] == 8 and head[1] == 0 and head[3] == 0)


def is_candidate(path):
    """True when dcm2niix counts ``path`` as a DICOM file (its ``isDICOMfile`` > 0).

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.dcm")
    >>> _ = open(path, "wb").write(bytes(128) + b"DICM" + bytes(200))
    >>> is_candidate(path), is_candidate(os.path.dirname(path))
    (True, False)
    """
    return _is_candidate(_head(path, _MIN_BYTES))


def file_syntax(path):
    """``transfer_syntax`` of a file."""
    return transfer_syntax(_head(path, _PROBE_BYTES))


def transfer_syntax(head):
    """The TransferSyntaxUID of a Part 10 file from its first bytes ('' when absent, None without a preamble).

    Examples
    --------
    >>> uid = b"1.2.840.10008.1.2.1\\0"
    >>> head = bytes(128) + b"DICM" + b"\\x02\\x00\\x10\\x00UI" + len(uid).to_bytes(2, "little") + uid
    >>> transfer_syntax(head)
    '1.2.840.10008.1.2.1'
    """
    found = file_meta(head)
    return None if found is None else found.get(0x10, "")


def file_meta(head):
    """The text values of a Part 10 file's group 0002 from its first bytes, ``{element: text}``; None without a preamble.

    dcm2niix reads MediaStorageSOPClassUID (0002,0002), MediaStorageSOPInstanceUID (0002,0003, its
    ``%o``) and TransferSyntaxUID (0002,0010) from there.
    """
    if head[128:132] != b"DICM":
        return None
    pos, found = 132, {}
    while pos + 8 <= len(head):
        group, element = int.from_bytes(head[pos:pos + 2], "little"), int.from_bytes(head[pos + 2:pos + 4], "little")
        if group != 2:
            break
        vr = head[pos + 4:pos + 6]
        if vr in _LONG_VRS:
            length, pos = int.from_bytes(head[pos + 8:pos + 12], "little"), pos + 12
        else:
            length, pos = int.from_bytes(head[pos + 6:pos + 8], "little"), pos + 8
        if vr in (b"UI", b"SH", b"AE", b"CS"):
            found[element] = head[pos:pos + length].decode("ascii", "replace").rstrip(" \x00")
        pos += length
    return found


def head(path, size=_PROBE_BYTES):
    """The first ``size`` bytes of a file (b"" when it cannot be read)."""
    return _head(path, size)


def find(folder, depth, syntaxes=None):
    """The DICOM files under ``folder`` (``depth`` folder levels down at most), in dcm2niix's order.

    Paths are ``folder`` joined to each name, as dcm2niix prints them. Given a
    dict, ``syntaxes`` receives each file's ``transfer_syntax`` (read with the
    same bytes).

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(os.path.join(folder, "ct"), (8, 8, 3))
    >>> len(find(folder, 0)), len(find(folder, 1))
    (0, 3)
    """
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        path = os.path.join(folder, entry.name)
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if depth > 0:
                found += find(path, depth - 1, syntaxes)
        elif entry.is_file() and entry.name.upper() != "DICOMDIR":
            head = _head(path, _PROBE_BYTES)
            if _is_candidate(head):
                found.append(path)
                if syntaxes is not None:
                    syntaxes[path] = transfer_syntax(head)
    return found
