"""dcm2niix's command line, read as its ``main_console.cpp`` reads it, and what medfast refuses.

dcm2niix tells options apart by the letter after the dash (``-verbose y`` is
``-v y``), takes a value only when one follows, checks a value's first
character against ``yYnNoOhHiIjlLJBbsS01234`` (anything else: `` Error:
invalid option '-x q'`` and exit 12), starts from the defaults file
``$HOME/.dcm2nii.ini``, and converts the last path given. ``parse`` does the
same. Every option is taken with dcm2niix's meaning; ``refusals`` lists the
ones medfast cannot honour, each named, so that the command stops with exit
12 instead of writing something dcm2niix would not.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

_VALUE_STARTS = "yYnNoOhHiIjlLJBbsS01234"
#: most series numbers dcm2niix's ``-n`` takes
MAX_SERIES = 16
DEFAULT_TEMPLATE = "%f_%p_%t_%s"


class OptionError(Exception):
    """A bad option or value: dcm2niix's `` Error: invalid option`` line, exit 12."""


@dataclass
class Settings:
    """dcm2niix's options after parsing (its ``TDCMopts``), with the text each came from."""

    gz_level: int = 6
    adjacent: bool = False
    bids: str = "y"            # y, n, o (sidecar only), i (input only: write nothing)
    anonymize: str = "y"       # y, n, o (strip identifiers, keep dates)
    bids_subject: str = ""     # -bi: the subject of %h/%H names
    bids_session: str = ""     # -bv: the session of %h/%H names
    bids_root: str = None      # -br: the ReproIn project folder of %H names ("" for -br .: none)
    comment: str = None
    depth: int = 5
    export: str = "n"          # n NIfTI, y NRRD, o MGH, j/b JNIfTI
    template: str = DEFAULT_TEMPLATE
    save_defaults: bool = False
    ignore_derived: str = "n"  # y, n (o: n, and keep_orientation_varies)
    keep_orientation_varies: bool = False  # -i o: a multi-frame file changing orientation converts (issue 894)
    max16: str = "o"           # -l: y scale, n uint16 -> int16 when lossless, o keep
    merge: int = 2             # -m: 0 no, 1 yes, 2 auto (CT only)
    merge_dce: bool = True     # -m o turns it off
    ignore_series_uid: bool = False  # an explicit -m 2
    series: list = field(default_factory=list)
    list_series: bool = False  # -n with a negative number
    out_dir: str = ""
    philips_precise: bool = True   # -p n: Philips display scaling
    ignore_scaling: bool = False   # -p o: a varying slope/intercept keeps the first image's (not float32)
    search_only: int = 0       # -q: 0 convert, 1 count, 2 count and list
    rename: bool = False
    single_file: bool = False
    text_notes: bool = False
    verbose: int = 0
    conflict: int = 2
    crop: str = "n"            # n, y, i (neither crop nor rotate)
    flip_y: bool = True
    gz: bool = False
    save_3d: bool = False
    big_endian: bool = False
    ignore_trigger_times: bool = False
    ge_slice_times: bool = False       # undocumented -j y
    ge_cycling: int = -1               # undocumented --diffCyclingModeGE
    terse: bool = False
    progress: int = 0
    given: dict = field(default_factory=dict)  # setting -> the option text it came from


@dataclass
class Parsed:
    """What the command line asks: settings and inputs, or an answer given without converting."""

    settings: Settings
    inputs: list
    lines: list = field(default_factory=list)  # printed while parsing, in order
    action: str = "convert"  # convert, help, version, xml, update, example


def defaults_file():
    """dcm2niix's defaults file: ``$HOME/.dcm2nii.ini`` (its ``-g`` reads and writes it)."""
    return os.path.join(os.environ.get("HOME", ""), ".dcm2nii.ini")


def read_defaults(settings):
    """Apply the defaults file, as dcm2niix does before it reads the command line."""
    try:
        with open(defaults_file(), encoding="latin-1") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep:
            continue
        number = _atoi(value)
        if key == "isGZ":
            settings.gz = number != 0
        elif key == "isMaximize16BitRange":
            settings.max16 = {0: "n", 1: "y"}.get(number, "o")
            settings.given["l"] = f"-l {settings.max16} (from {defaults_file()})"
        elif key == "isBIDS":
            settings.bids = "y" if number else "n"
        elif key == "filename":
            settings.template = value


def save_defaults(settings):
    """Write the defaults file as dcm2niix's ``-g y``; return the line it prints."""
    path = defaults_file()
    max16 = {"n": 0, "y": 1}.get(settings.max16, 2)
    with open(path, "w", encoding="latin-1") as f:
        f.write(f"isGZ={int(settings.gz)}\nisMaximize16BitRange={max16}\n"
                f"isBIDS={int(settings.bids != 'n')}\nfilename={settings.template}\n")
    return f"Saving defaults file {path}"


def _atoi(text):
    digits = ""
    for ch in text.strip():
        if ch.isdigit() or (ch in "+-" and not digits):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _check(option, value):
    if not value or value[0] not in _VALUE_STARTS:
        raise OptionError(f" Error: invalid option '{option} {value}'")


def _yes(value):
    return value[0] not in "nN0"


def parse(argv):
    """dcm2niix's arguments -> ``Parsed``; raises ``OptionError`` on a bad option or value.

    Examples
    --------
    >>> p = parse(["-b", "y", "-z", "n", "-f", "%p_%s", "-m", "0", "-o", "out", "in"])
    >>> p.settings.template, p.settings.gz, p.settings.merge, p.settings.out_dir, p.inputs
    ('%p_%s', False, 0, 'out', ['in'])
    >>> parse(["-v"]).action
    'version'
    """
    settings = Settings()
    read_defaults(settings)
    out = Parsed(settings, [])
    if not argv:
        out.action = "help"
        return out
    reset = False
    i, last_option = 0, -1
    while i < len(argv):
        arg = argv[i]
        has_value = i + 1 < len(argv)
        value = argv[i + 1] if has_value else ""
        if len(arg) > 1 and arg[0] == "-":
            letter = arg[1]
            if letter == "h":
                out.action = "help"
                return out
            if arg == "--version":
                out.action = "version"
                return out
            if arg == "--xml":
                out.action = "xml"
                return out
            if arg == "--terse":
                settings.terse = True
            elif arg == "--ignore_trigger_times":
                settings.ignore_trigger_times = True
                out.lines.append("ignore_trigger_times may have unintended consequences (issue 499)")
            elif arg in ("--big-endian", "--progress", "--diffCyclingModeGE") and has_value:
                i += 1
                _long_option(settings, out, arg, value)
            elif letter == "u":
                out.action = "update"
                return out
            elif letter == "v" and not has_value:
                out.action = "version"
                return out
            elif "1" <= letter <= "9":
                settings.gz_level = min(abs(_atoi(arg)), 11)
                settings.given["gz_level"] = arg
            elif letter in "abcdefgijlmnopqrstvwxyz" and has_value:
                i += 1
                if letter == "g" and _defaults_option(settings, out, value, reset):
                    reset = True
                    i = -1  # read every option again over the reset defaults, as dcm2niix does
                else:
                    _short_option(settings, out, arg, value)
            else:
                raise OptionError(f" Error: invalid option '{arg} {value}'")
            last_option = i
        i += 1
    if settings.rename and "template" not in settings.given:  # -r y without -f: dcm2niix's template for renaming
        from .rename import DEFAULT_TEMPLATE, assumed_template_line

        settings.template = DEFAULT_TEMPLATE
        out.lines.append(assumed_template_line())
    if settings.save_defaults:
        out.lines.append(save_defaults(settings))
    out.inputs = argv[last_option + 1:]
    if not out.inputs:
        out.action = "example"
    elif len(out.inputs) > 1:
        out.lines.append(f"Warning: only processing last of {len(out.inputs)} input files (recompile with "
                         f"'myEnableMultipleInputs' to recursively process multiple files)")
        out.inputs = out.inputs[-1:]
    return out


def _defaults_option(settings, out, value, reset):
    """``-g``: True when the defaults were reset and the command line must be read again."""
    _check("-g", value)
    if value[0] in "yY":
        settings.save_defaults = True
    if value[0] in "iIoO" and not reset:
        fresh = Settings()
        fresh.save_defaults = value[0] in "oO"
        vars(settings).update(vars(fresh))
        out.lines.append("Defaults ignored" if value[0] in "iI" else "Defaults reset")
        return True
    return False


def _long_option(settings, out, arg, value):
    first = value[:1]
    if arg == "--big-endian":
        if first in ("y", "Y"):  # this machine is little-endian: y asks for byte-swapped output
            settings.big_endian = True
            settings.given["big_endian"] = f"{arg} {value}"
            out.lines.append("NIfTI data will be big-endian (byte-swapped)")
    elif arg == "--progress":
        settings.progress = 0 if first in ("n", "N", "0") else 2 if first == "2" else 1
        settings.given["progress"] = f"{arg} {value}"
    elif first in ("0", "1", "2", "3"):  # --diffCyclingModeGE
        settings.ge_cycling = int(first)
        names = {"0": "cycling OFF", "1": "cycling All-TR", "2": "cycling 2-TR", "3": "cycling 3-TR"}
        out.lines.append(f"undocumented '--diffCyclingModeGE {first}' {names[first]}")


def _short_option(settings, out, arg, value):
    letter, first = arg[1], value[:1]
    text = f"{arg} {value}"
    if letter == "b":
        _bids_option(settings, out, arg, value)
        return
    if letter == "c":
        settings.comment = value[:23] if value else "\t"
    elif letter == "d":
        if first.isdigit():
            settings.depth = abs(_atoi(value))
    elif letter == "f":
        settings.template = value
        settings.given["template"] = text
    elif letter == "o":
        settings.out_dir = value
    elif letter == "n":
        _series_option(settings, out, value)
    else:
        _check(arg, value)
        _checked_option(settings, out, letter, first, text)
        return
    settings.given[letter] = text


def _checked_option(settings, out, letter, first, text):
    """The options whose value dcm2niix checks first (``invalidParam``)."""
    no = first in "nN0"
    if letter == "a":
        settings.adjacent = not no
    elif letter == "e":
        for chars, fmt in (("yY1", "y"), ("oO2", "o"), ("jJ3", "j"), ("bB4", "b")):
            if first in chars:
                settings.export = fmt
    elif letter == "i":  # a later -i y or -i n leaves -i o's keeping as it is
        settings.keep_orientation_varies = settings.keep_orientation_varies or first in "oO"
        settings.ignore_derived = "n" if no or first in "oO" else "y"
    elif letter == "j":
        if first in "yY1":
            settings.ge_slice_times = True
            out.lines.append("undocumented '-j y' compares GE slice timing from 0021,105E")
    elif letter == "l":
        settings.max16 = "o" if first in "oO" else "n" if no else "y"
    elif letter == "m":
        _merge_option(settings, out, first)
    elif letter == "p":  # -p o leaves the Philips choice as it was
        if first in "oO":
            settings.ignore_scaling = True
        else:
            settings.philips_precise = not no
    elif letter == "r":
        settings.rename = first in "yY"
    elif letter == "q":
        settings.search_only = 1 if first in "yY" else 2 if first in "lL" else settings.search_only
    elif letter == "s":
        settings.single_file = not no
    elif letter == "t":
        settings.text_notes = not no
    elif letter == "v":
        settings.verbose = 0 if no else 2 if first in "hH2" else 1
    elif letter == "w":
        if first in "012":
            settings.conflict = int(first)
    elif letter == "x":
        settings.crop = "n" if no else "i" if first in "iI" else "y"
    elif letter == "y":
        before = settings.flip_y
        if first in "yY":
            settings.flip_y = True
        elif first in "nN":
            settings.flip_y = False
        if before != settings.flip_y:
            out.lines.append("Advanced feature: You are flipping the default order of rows in your image.")
    elif letter == "z":
        settings.save_3d = settings.save_3d or first == "3"
        settings.gz = not (no or first == "3")
    settings.given[letter] = text


def _merge_option(settings, out, first):
    if first in "nN0":
        settings.merge = 0
    elif first in "yY1":
        settings.merge = 1
    elif first == "2":
        settings.merge = 2
        settings.ignore_series_uid = True
        out.lines.append("Advanced feature: '-m 2' ignores Series Instance UID.")
    elif first in "oO":
        settings.merge_dce = False


def _bids_option(settings, out, arg, value):
    if len(arg) < 3:
        _check(arg, value)
        first = value[0]
        settings.bids = "n" if first in "nN0" else "i" if first in "iI" else "o" if first in "oO" else "y"
        settings.given["bids"] = f"{arg} {value}"
    elif arg[2] == "a":
        _check(arg, value)
        first = value[0]
        settings.anonymize = "n" if first in "nN0" else "o" if first in "oO" else "y"
        settings.given["anonymize"] = f"{arg} {value}"
    elif arg[2] == "i":  # -bi, -bv, -br name what %h/%H names hold: nothing else reads them
        settings.bids_subject = value
    elif arg[2] == "v":
        settings.bids_session = value
    elif arg[2] == "r":
        settings.bids_root = "" if value == "." else value
    else:  # dcm2niix says so and reads on: the value becomes an input path
        out.lines.append(f"Error: Unknown command line argument: '{arg}'")


def _series_option(settings, out, value):
    try:
        number = float(value.strip() or 0)
    except ValueError:
        number = 0.0
    if number < 0:
        settings.list_series = True
    elif not settings.list_series and len(settings.series) < MAX_SERIES:
        settings.series.append(number)
    else:
        out.lines.append(f"Warning: too many series specified, ignoring -n {value}")


#: what medfast cannot honour: (setting, test on Settings, what the option asks)
_CANNOT = (
    ("template", lambda s: bool(template_letters(s.template) & set("hH")), "hazardous or ReproIn BIDS names (%h, %H)"),
    ("e", lambda s: s.export not in ("n", "y", "o"), "JNIfTI output"),
    ("t", lambda s: s.text_notes, "text notes with private patient details"),
    ("z", lambda s: s.save_3d, "one 3D file a volume"),
    ("ge_cycling", lambda s: s.ge_cycling >= 0, "GE diffusion cycling mode"),
)
_OPTION_NAMES = {"ge_cycling": "--diffCyclingModeGE", "template": "-f"}  # -f: from the defaults file


def template_letters(template):
    """The letters after each ``%`` of a ``-f`` template, as dcm2niix reads them (``%%h`` is no ``%h``).

    Examples
    --------
    >>> sorted(template_letters("%p_%s_%3r_%%h"))
    ['3', '%', 'p', 's']
    """
    letters, pos = set(), 0
    while pos < len(template) - 1:
        if template[pos] == "%":
            letters.add(template[pos + 1])
            pos += 2
        else:
            pos += 1
    return letters


def refusals(settings):
    """``(option text, what it asks)`` for each option medfast cannot honour; empty when it honours them all.

    Examples
    --------
    >>> refusals(parse(["-t", "y", "in"]).settings)
    [('-t y', 'text notes with private patient details')]
    """
    out = []
    for name, test, what in _CANNOT:
        if test(settings):
            out.append((settings.given.get(name) or _OPTION_NAMES.get(name, f"-{name}"), what))
    return out
