"""dcm2niix's ``-r y``: copy each DICOM file to a name made from its own header, instead of converting.

As its ``searchDirRenameDICOM``: the input folder is walked in sorted order
(folders first, then files, by name), at most ``-d`` levels down, skipping
hidden entries and DICOMDIR; each DICOM file with an InstanceNumber above 0
is copied to the ``-f`` template expanded with that file's values (default
``%t/%s_%p/%4r_%o.dcm``; the name gets no extension of its own), folders
created as needed. A name already on disk is not overwritten: dcm2niix warns
of a naming conflict and counts the file as done. ``-i y`` leaves out
localizers and derived images, saying so. Then ``Converted N DICOMs``.
"""
from __future__ import annotations

import os
import shutil

from .. import exitcodes

#: dcm2niix's template for ``-r y`` without ``-f``
DEFAULT_TEMPLATE = "%t/%s_%p/%4r_%o.dcm"
_LOCALIZER_SEQUENCES = ("_tfl2d1", "_fl3d1_ns", "_fl2d1")
# storage classes dcm2niix names _Raw (raw data, Philips' spectra, series data and ExamCards, Siemens' CSA
# non-image) and _PS (grayscale softcopy presentation state); both count as derived
_RAW_STORAGE = ("1.2.840.10008.5.1.4.1.1.66", "1.3.46.670589.11.0.0.12.1", "1.3.46.670589.11.0.0.12.2",
                "1.3.46.670589.11.0.0.12.4", "1.3.12.2.1107.5.9.1")
_SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"
_PRESENTATION_STATE = "1.2.840.10008.5.1.4.1.1.11.1"
_META_BYTES = 4096  # enough for a file's group 0002


def assumed_template_line():
    """What dcm2niix prints when ``-r y`` comes without ``-f``.

    Examples
    --------
    >>> assumed_template_line()
    "renaming without output filename, assuming '-f %t/%s_%p/%4r_%o.dcm'"
    """
    return f"renaming without output filename, assuming '-f {DEFAULT_TEMPLATE}'"


class RenameError(Exception):
    """A file could not be copied: dcm2niix stops with exit 9."""


def run(folder, out_dir, settings, say, error):
    """Copy every DICOM file under ``folder`` to its name in ``out_dir``; print as dcm2niix; its exit code.

    ``say`` prints a line on standard output, ``error`` one on standard error ("Error: " added).

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> from medfast.dcm2niix.options import parse
    >>> src, out = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = write_ct_series(src, (8, 8, 3))
    >>> run(src, out, parse(["-r", "y", "-f", "%s_%r", src]).settings, print, print)
    Converted 3 DICOMs
    0
    >>> sorted(os.listdir(out))
    ['2_1', '2_2', '2_3']
    """
    try:
        count = _walk(folder, settings.depth, 0, (out_dir, os.path.basename(folder)), settings, say, error)
    except RenameError:
        return exitcodes.RENAME_ERROR
    say(f"Converted {count} DICOMs")
    return exitcodes.OK


def _entries(folder):
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    return sorted(entries, key=lambda e: (not e.is_dir(), os.fsencode(e.name)))


def _walk(folder, max_depth, depth, out, settings, say, error):
    from .search import is_candidate

    entries = _entries(folder)
    if entries is None:
        if settings.verbose > 0:
            say(f"Unable to open {folder}")
        raise RenameError(folder)
    if settings.verbose > 0:  # dcm2niix's directory listing counts "." and ".."
        say(f"Found {len(entries) + 2} items in {folder}")
    count = 0
    for entry in entries:
        path = os.path.join(folder, entry.name)
        if entry.is_dir():
            if depth < max_depth and not entry.name.startswith("."):
                count += _walk(path, max_depth, depth + 1, out, settings, say, error)
        elif entry.is_file() and not entry.name.startswith(".") and entry.name.upper() != "DICOMDIR" \
                and is_candidate(path):
            count += _one(path, out, settings, say, error)
    return count


def _one(path, out, settings, say, error):
    """Copy one file; 1 when dcm2niix counts it, 0 when it leaves it (no instance number, ``-i y``).

    ``out``: (output folder, the input folder's name: ``%f``).
    """
    from ..dicom.scan import read_header
    from ..dicom.series import derived_image
    from ..dicom.values import strings, text
    from .console import is_localizer
    from .naming import echo_number, format_name, image_number, name_fields
    from .search import file_meta, head

    try:
        header = read_header(path).header
    except Exception:  # noqa: BLE001 - dcm2niix reads what it can; an unreadable file has no instance number
        return 0
    media = file_meta(head(path, _META_BYTES)) or {}
    if image_number(header, media.get(3, "")) <= 0:
        return 0
    meta = _file_meta(path, header, media.get(2) or text(header.get("SOPClassUID")))
    if settings.ignore_derived == "y":
        if is_localizer(header) or text(header.get("SequenceName")).strip() in _LOCALIZER_SEQUENCES:
            say(f"Ignoring localizer {path}")
            return 0
        if derived_image(strings(header.get("ImageType"))) or meta["raw_data_storage"] or meta["presentation_state"]:
            say(f"Ignoring derived {path}")
            return 0
    out_dir, parent = out
    fields = name_fields(header, meta, indir_parent=parent, source_name=os.path.basename(path))
    # as dcm2niix's readDICOM: no echo number is 0; %o and the image number go by the MediaStorageSOPInstanceUID
    fields.update(e=echo_number(header, meta, default=0), o=media.get(3, ""), r=image_number(header, media.get(3, "")))
    target = os.path.join(out_dir, format_name(settings.template, fields, add_postfixes=not settings.terse))
    os.makedirs(os.path.dirname(target) or ".", mode=0o700, exist_ok=True)
    if os.path.exists(target):  # dcm2niix keeps the file there and counts this one as done
        say(f"Warning: Naming conflict (duplicates?): '{path}' '{target}'")
    else:
        try:
            shutil.copyfile(path, target)
        except OSError:
            error(f"Check file permission. Unable to open output {target}")
            error("Unable to rename all DICOM images.")
            raise RenameError(target) from None
    if settings.verbose > 0:
        say(f"Renaming {path} -> {target}")
    return 1


def _file_meta(path, header, sop_class):
    """What the name and its suffixes need from one file on its own, as dcm2niix's readDICOM sees it.

    Its echo (0 when none), several echoes in one file, its image components, its series number, and
    the non-image storage classes dcm2niix marks ``_Raw`` and ``_PS``.
    """
    from ..dicom.series import series_number, slices_of
    from ..dicom.values import text

    raw = any(uid in sop_class for uid in _RAW_STORAGE) and _SEGMENTATION not in sop_class
    meta = {"SeriesNumber": series_number(header, text(header.get("Manufacturer")).upper()),
            "raw_data_storage": raw, "presentation_state": _PRESENTATION_STATE in sop_class}
    try:
        slices = slices_of(path, header)
    except Exception:  # noqa: BLE001 - odd geometry: the name comes from the header alone
        slices = []
    if not slices:
        return meta
    first = slices[0]
    kinds = {s.component for s in slices}
    return dict(meta, EchoNumber=first.echo_number, EchoTime=first.echo_time, coil_name=first.coil,
                multi_echo=len({s.echo_number for s in slices}) > 1 or len({s.echo_time for s in slices}) > 1, is_phase="PHASE" in kinds,
                is_imaginary="IMAGINARY" in kinds, is_real="REAL" in kinds or any(s.fieldmap_hz for s in slices),
                is_magnitude="MAGNITUDE" in kinds, real_is_fieldmap_hz=any(s.fieldmap_hz for s in slices))
