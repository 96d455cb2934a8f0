"""Fuzz ``medfast.read`` of an Analyze 7.5 header (its ``.img`` fixed).

Run: ``python tests/fuzz/fuzz_analyze.py -atheris_runs=100000 /tmp/fuzz-corpus/analyze`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'analyze')
