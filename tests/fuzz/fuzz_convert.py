"""Fuzz the bulk engine's DICOM series path (``medfast.convert.bulk.run``) on a folder of one vendor's series, one file mutated.

Run: ``python tests/fuzz/fuzz_convert.py -atheris_runs=10000 /tmp/fuzz-corpus/convert`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main("convert", "dicom_folder")
