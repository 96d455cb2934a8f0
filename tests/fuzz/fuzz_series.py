"""Fuzz ``medfast.read_dicom`` of a folder (the series path): the first byte picks a vendor's series, the rest is one file of it.

Run: ``python tests/fuzz/fuzz_series.py -atheris_runs=10000 /tmp/fuzz-corpus/series`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main("read_dicom", "dicom_folder")
