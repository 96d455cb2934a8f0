"""Fuzz the DICOM element scanner (``medfast.dicom.scan.scan``) on one file.

Run: ``python tests/fuzz/fuzz_scan.py -atheris_runs=100000 /tmp/fuzz-corpus/scan`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('scan', 'dicom')
