"""Fuzz the RLE Lossless decoder (``kernels.rle_decode_frame``); the first six bytes are its arguments.

Run: ``python tests/fuzz/fuzz_rle.py -atheris_runs=100000 /tmp/fuzz-corpus/rle`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('rle', None)
