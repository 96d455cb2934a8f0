"""Fuzz the bit unpackers and bit fixes (``unpack_1bit``, ``unpack_12bit``, ``swap_bytes``, ``fix_stored_bits``, ``invert_monochrome1``).

Run: ``python tests/fuzz/fuzz_bits.py -atheris_runs=100000 /tmp/fuzz-corpus/bits`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('bits', None)
