"""Fuzz ``medfast.read_dicom`` of one DICOM file: header, grouping, geometry and pixels.

Run: ``python tests/fuzz/fuzz_dicom.py -atheris_runs=100000 /tmp/fuzz-corpus/dicom`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read_dicom_file', 'dicom')
