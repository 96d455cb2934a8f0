"""Fuzz ``medfast.read`` of a MINC1 (netCDF) file.

Run: ``python tests/fuzz/fuzz_minc1.py -atheris_runs=100000 /tmp/fuzz-corpus/minc1`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'minc1')
