"""Fuzz ``medfast dcm2niix`` (``medfast.dcm2niix.cli.main``, ``-o`` a scratch folder) on a folder of one vendor's series, one file mutated.

Run: ``python tests/fuzz/fuzz_dcm2niix.py -atheris_runs=10000 /tmp/fuzz-corpus/dcm2niix`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main("dcm2niix", "dicom_folder")
