"""Which files to read: walk folders, follow a DICOMDIR, tell DICOM from everything else."""
from __future__ import annotations

import os
import stat

_DIRECTORY_SOP_CLASS = "1.2.840.10008.1.3.10"


def is_dicom(path):
    """True when the file carries the DICOM Part 10 preamble ('DICM' at byte 128)."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _dicomdir_files(path):
    """The image files a DICOMDIR references, resolved against its folder."""
    import pydicom

    from ..errors import reading
    from .._io import BoundedFile

    with reading(path, "DICOMDIR"), BoundedFile(path) as f:
        ds = pydicom.dcmread(f)
        root = os.path.dirname(os.path.abspath(path))
        out = []
        for record in ds.get("DirectoryRecordSequence") or ():
            file_id = record.get("ReferencedFileID")
            if file_id:
                parts = [file_id] if isinstance(file_id, str) else list(file_id)
                out.append(os.path.join(root, *parts))
    return out


def _is_dicomdir(path):
    if os.path.basename(path).upper() == "DICOMDIR":
        return True
    return False


def candidate_files(path_or_paths):
    """The files under the given files and folders that may be DICOM, without opening them.

    Folders are walked recursively in sorted order; a DICOMDIR found while
    walking is skipped (the files it lists are found by the walk); a DICOMDIR
    given by name is followed to the files it references. The reader tells
    DICOM from everything else when it reads each file's header, so no file
    is opened twice.

    Examples
    --------
    >>> candidate_files([])
    []
    """
    if isinstance(path_or_paths, (str, bytes, os.PathLike)):
        path_or_paths = [path_or_paths]
    files = []
    for given in path_or_paths:
        given = os.fspath(given)
        try:
            is_folder = stat.S_ISDIR(os.stat(given).st_mode)  # one system call a path: lists of files are long
        except OSError:  # as os.path.exists: any failure to stat is a missing path
            raise FileNotFoundError(given) from None
        if is_folder:
            for folder, dirs, names in os.walk(given):
                dirs.sort()
                files += [os.path.join(folder, n) for n in sorted(names) if not _is_dicomdir(n)]
        elif _is_dicomdir(given):
            files += _dicomdir_files(given)
        else:
            files.append(given)
    return files


def dicom_files(path_or_paths):
    """``(files, skipped)``: the DICOM files under the given files and folders, and how many were not DICOM.

    The files of ``candidate_files`` that carry the Part 10 preamble.

    Examples
    --------
    >>> dicom_files([])
    ([], 0)
    """
    files = candidate_files(path_or_paths)
    dicom = [p for p in files if is_dicom(p)]
    return dicom, len(files) - len(dicom)
