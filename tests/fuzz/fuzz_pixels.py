"""Fuzz ``medfast.pixel_array`` of a dataset pydicom parsed: every pixel layout and transfer syntax of the seeds.

Run: ``python tests/fuzz/fuzz_pixels.py -atheris_runs=100000 /tmp/fuzz-corpus/pixels`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('pixel_array', 'dicom')
