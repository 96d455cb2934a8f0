"""Structured mutations of real files: flips, truncation, extreme integers, deleted and repeated chunks.

Binary formats keep their header integers in the first bytes, so most binary
mutations land there; text headers (NRRD, PAR, the NRRD detached header) get
their numbers replaced by extremes and their lines deleted or repeated.
"""
from __future__ import annotations

import re

EXTREMES = (0, -1, 2**31 - 1, 2**32 - 1, 2**15, 2**16 - 1, -(2**31))
TEXT_EXTREMES = (b"0", b"-1", b"2147483647", b"4294967295", b"18446744073709551616", b"1e308", b"nan",
                 b"-2147483648", b"", b"x")
_HEAD = 4096
_NUMBER = re.compile(rb"-?\d+(\.\d+)?")


def _is_text(data):
    head = data[:512]
    return head[:4] in (b"NRRD", b"# ==") or (head and sum(32 <= c < 127 or c in b"\r\n\t" for c in head) > 0.97 * len(head))


def _position(rng, data):
    """Mostly in the header region, sometimes anywhere."""
    end = len(data) if rng.random() < 0.2 else min(len(data), _HEAD)
    return rng.randrange(max(end, 1))


def flip(rng, data):
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        if out:
            out[_position(rng, out)] ^= 1 << rng.randrange(8)
    return bytes(out)


def random_bytes(rng, data):
    out = bytearray(data)
    pos = _position(rng, out)
    n = rng.choice((1, 2, 4, 16))
    out[pos:pos + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(out)


def truncate(rng, data):
    return data[: rng.randrange(max(len(data), 1))]


def extreme(rng, data):
    """An integer field set to an extreme: a random width, byte order and alignment in the header."""
    out = bytearray(data)
    width = rng.choice((2, 4, 4, 8))
    pos = _position(rng, out) // 2 * 2
    value = rng.choice(EXTREMES) % (1 << (8 * width))
    out[pos:pos + width] = value.to_bytes(width, rng.choice(("little", "big")))
    return bytes(out)


def delete_chunk(rng, data):
    pos = _position(rng, data)
    return data[:pos] + data[pos + rng.choice((1, 2, 4, 8, 64, 512)):]


def repeat_chunk(rng, data):
    pos = _position(rng, data)
    chunk = data[pos:pos + rng.choice((1, 4, 8, 64, 512))]
    return data[:pos] + chunk * rng.choice((2, 3, 50)) + data[pos:]


def text_number(rng, data):
    """A number of a text header replaced by an extreme."""
    numbers = list(_NUMBER.finditer(data[:_HEAD * 4]))
    if not numbers:
        return flip(rng, data)
    m = rng.choice(numbers)
    return data[: m.start()] + rng.choice(TEXT_EXTREMES) + data[m.end():]


def text_line(rng, data):
    """A line of a text header deleted or repeated."""
    head_end = data.find(b"\n\n")
    head_end = len(data) if head_end < 0 else head_end + 1
    lines = data[:head_end].split(b"\n")
    i = rng.randrange(len(lines))
    if rng.random() < 0.5:
        del lines[i]
    else:
        lines.insert(i, lines[i])
    return b"\n".join(lines) + data[head_end:]


BINARY = (flip, random_bytes, truncate, extreme, extreme, delete_chunk, repeat_chunk)
TEXT = (text_number, text_number, text_line, truncate, flip, delete_chunk)


def mutate(rng, data):
    """One mutant of ``data`` (one to three mutations), and the names of the mutations applied."""
    names = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.choice(TEXT if _is_text(data) else BINARY)
        data = op(rng, data)
        names.append(op.__name__)
    return data, names
