"""Every compiled kernel against its NumPy twin, bit for bit, over the matrix in kernel_cases.

The kernel list comes from ``_reference.__all__``: a twin without a compiled
kernel, a kernel without a twin, or a kernel without cases fails. The compiled
modules are imported directly, whatever MEDFAST_PURE_PYTHON says.
"""
from __future__ import annotations

import importlib
import inspect
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from medfast._kernels import TOPICS, _reference

from kernel_cases import CASES

MINE = ("_byteswap", "_bits", "_rescale", "_stack", "_rle", "_photometric", "_scan")


def _sections():
    """{topic: [kernel names]} from the ``# ---- _topic`` sections of _reference.py."""
    lines = inspect.getsource(_reference).splitlines()
    starts = [(i, m.group(1)) for i, line in enumerate(lines, 1) if (m := re.match(r"# ---- (_\w+) ", line))]
    topics = {topic: [] for _, topic in starts}
    for name in _reference.__all__:
        line = inspect.getsourcelines(getattr(_reference, name))[1]
        topic = [t for start, t in starts if start < line][-1]
        topics[topic].append(name)
    return topics


SECTIONS = _sections()
NAMES = [name for topic in MINE for name in SECTIONS[topic]]


def test_sections_are_the_topics():
    assert list(SECTIONS) == list(TOPICS)


@pytest.mark.parametrize("topic", MINE)
def test_compiled_module_exports_exactly_its_twins(topic):
    module = importlib.import_module(f"medfast._kernels.{topic}")  # a missing build fails here
    assert sorted(module.__all__) == sorted(SECTIONS[topic])
    for name in module.__all__:
        assert callable(getattr(module, name))


def test_every_kernel_has_cases():
    assert sorted(CASES) == sorted(NAMES)
    for name in NAMES:
        assert len(CASES[name]) > 0, name


def _compiled(name):
    topic = next(t for t in MINE if name in SECTIONS[t])
    return getattr(importlib.import_module(f"medfast._kernels.{topic}"), name)


def _snapshot(args):
    return [a.tobytes() if isinstance(a, np.ndarray) else a for a in args]


def _run(func, make):
    args = make()
    result = func(*args)
    return result, _snapshot(args)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_kernel_equals_twin(name, threads):
    kernel, twin = _compiled(name), getattr(_reference, name)
    cases = CASES[name]
    with ThreadPoolExecutor(threads) as pool:  # with 2 threads, cases run at once in the kernel
        got = list(pool.map(lambda case: _run(kernel, case[1]), cases))
    for (label, make), (result, after) in zip(cases, got):
        expected, expected_after = _run(twin, make)
        assert result == expected, (name, label)
        assert after == expected_after, (name, label)


def test_kernels_accept_readonly_inputs_and_leave_them_alone():
    src = np.arange(12, dtype=np.uint8)
    src.flags.writeable = False
    dst = np.zeros(12, np.uint8)
    _compiled("swap_bytes")(src, dst, 4)
    assert dst.tobytes() == src.view(np.uint32).byteswap().tobytes()
    assert src.tolist() == list(range(12))


def test_place_frame_threads_fill_their_own_frames():
    # Two threads write different frames of one output at once; the result is the serial one.
    kernel = _compiled("place_frame")
    frames, size = 8, 64 * 1024
    stored = np.random.default_rng(1).integers(0, 4096, frames * size).astype(">u2")
    raw = stored.tobytes()
    out = np.zeros((frames, size), np.float32)
    expected = np.zeros_like(out)
    for f in range(frames):
        _reference.place_frame(raw, 2 * size * f, expected[f], 2, "u", True, 12, 0, 0.5, -1024.0)

    def fill(f):
        kernel(raw, 2 * size * f, out[f], 2, "u", True, 12, 0, 0.5, -1024.0)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(fill, range(frames)))
    assert out.tobytes() == expected.tobytes()
