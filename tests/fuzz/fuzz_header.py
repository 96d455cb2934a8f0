"""Fuzz the one-pass header read (``index_elements`` + ``ScannedHeader``): every value of one file, nested ones too.

Run: ``python tests/fuzz/fuzz_header.py -atheris_runs=100000 /tmp/fuzz-corpus/header`` (libFuzzer options apply).
"""
import os

from harness import main


def header(folder, name):
    """Read the file's header once and decode every element, walking every item (pydicom answers where the scan stops)."""
    from medfast.dicom.scan import NotPart10, read_header

    try:
        found = read_header(os.path.join(folder, name))
    except NotPart10:
        return
    for _ in found.header.walk():
        pass
    found.header.last("EchoTime")


if __name__ == "__main__":
    from tests.fuzz import targets

    targets.FILE_TARGETS["header"] = header  # the target lives here; targets.py is the fuzz harness' own
    main("header", "dicom")
