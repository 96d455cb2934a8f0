"""Fuzz ``medfast.read`` of a NIfTI-1 ``.nii`` file.

Run: ``python tests/fuzz/fuzz_nifti.py -atheris_runs=100000 /tmp/fuzz-corpus/nifti`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'nifti')
