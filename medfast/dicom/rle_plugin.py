"""medfast's RLE Lossless kernel as a pydicom decoding plugin, labelled ``medfast``.

pydicom's plugin interface (``pydicom.pixels.decoders.base``): a module with
``is_available(uid)``, ``DECODER_DEPENDENCIES`` and a function
``(encoded frame, DecodeRunner) -> bytes-like`` returning the frame in
pydicom's RLE layout (one plane a sample, little-endian items). Nothing is
registered at import: ``register()`` adds the plugin, and is called by
``medfast.pixel_array`` (which then asks for the plugin by name) and by the
``accelerate()`` path (``register(prefer=True)``, so that ``ds.pixel_array``
itself tries medfast first).
"""
from __future__ import annotations

import threading

from .. import kernels

__all__ = ["DECODER_DEPENDENCIES", "LABEL", "decode_frame", "is_available", "register", "unregister"]

LABEL = "medfast"
_RLE_LOSSLESS = "1.2.840.10008.1.2.5"
#: No third-party dependency: the kernel ships with medfast.
DECODER_DEPENDENCIES = {_RLE_LOSSLESS: ()}
_lock = threading.Lock()


def is_available(uid):
    """True for RLE Lossless, the one transfer syntax this plugin decodes."""
    return uid == _RLE_LOSSLESS


def decode_frame(src, runner):
    """Decode one RLE frame for pydicom: ``runner`` gives rows, columns, samples and bits allocated.

    Examples
    --------
    >>> import struct
    >>> from pydicom.pixels.decoders.base import DecodeRunner
    >>> from pydicom.uid import RLELossless
    >>> runner = DecodeRunner(RLELossless)
    >>> runner.set_options(rows=1, columns=2, samples_per_pixel=1, bits_allocated=8)
    >>> frame = struct.pack("<16I", 1, 64, *[0] * 14) + bytes([0xFF, 9])
    >>> bytes(decode_frame(frame, runner))
    b'\\t\\t'
    """
    if runner.get_option("rle_segment_order", ">") != ">":
        # Non-conformant little-endian segment order: let pydicom's own plugin handle it.
        raise NotImplementedError("medfast's RLE plugin decodes the standard (big-endian) segment order only")
    frame = kernels.rle_decode_frame(
        src, runner.rows, runner.columns, runner.samples_per_pixel, runner.bits_allocated
    )
    # The decoded frame is one plane a sample.
    runner.set_option("planar_configuration", 1)
    return frame


def register(prefer=False):
    """Add the ``medfast`` plugin to pydicom's RLE Lossless decoder (idempotent).

    Parameters
    ----------
    prefer : bool
        Also move it ahead of the other plugins, so pydicom's ``ds.pixel_array``
        uses it by default.

    Examples
    --------
    >>> from pydicom.pixels.decoders import RLELosslessDecoder
    >>> register()
    >>> "medfast" in RLELosslessDecoder.available_plugins
    True
    """
    from pydicom.pixels.decoders import RLELosslessDecoder as decoder

    with _lock:
        if LABEL not in decoder.available_plugins:
            decoder.add_plugin(LABEL, (__name__, "decode_frame"))
        if prefer:
            # pydicom tries plugins in the order they were added: re-add the others after ours.
            for label, func in list(decoder._available.items()):
                if label != LABEL:
                    decoder.remove_plugin(label)
                    decoder.add_plugin(label, (func.__module__, func.__name__))


def unregister():
    """Remove the ``medfast`` plugin from pydicom's RLE Lossless decoder, if present."""
    from pydicom.pixels.decoders import RLELosslessDecoder as decoder

    with _lock:
        if LABEL in decoder.available_plugins:
            decoder.remove_plugin(LABEL)
