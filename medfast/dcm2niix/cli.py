"""``medfast dcm2niix``: dcm2niix's command line, standard output and exit codes, on medfast's engine.

A drop-in for the programs that call dcm2niix (nipype and heudiconv,
dcm2bids, scripts): the same options with the same meaning (``options``),
the same lines on standard output in the same order (``console``), errors on
standard error where dcm2niix puts them, and dcm2niix's exit codes
(``medfast.exitcodes``). An option medfast cannot honour stops the command
with exit 12, naming it. A file that cannot be part of a volume is left out
and the rest of the folder converts; where medfast leaves out a file that
dcm2niix would have converted, standard error says so.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from .. import exitcodes
from ..dicom.geometry import ORIENTATION_VARIES
from . import console, crop, file_dump, gradient_messages, options as cli_options, search, stacking
from . import series_messages as messages
from .orientation import ROWS_PRESERVED
from .progress import Progress
from .sixteen_bit import sixteen_bit

HELP = """usage: {prog} [options] <in_folder>
 Options :
  -1..-9 : gz compression level (1=fastest..9=smallest, default 6) [medfast: zlib-ng's level, 9 at most]
  -a : adjacent DICOMs (images from same series always in same folder) for faster conversion (n/y, default n)
  -b : BIDS sidecar (y/n/o/i [o=only: no NIfTI, i=input only: write nothing], default y)
  -c : comment stored in NIfTI aux_file (up to 24 characters e.g. '-c VIP', empty to anonymize e.g. 0020,4000 e.g. '-c ""')
   -ba : anonymize BIDS (y=strip dates+PII, n=keep both, o=strip PII only, default y)
   -br : reproin project subfolder for '-f %H' (e.g. '-br MyStudy'; '.' uses -o as the BIDS root)
  -d : directory search depth. Convert DICOMs in sub-folders of in_folder? (0..9, default 5)
  -e : export as NRRD (y) or MGH (o) or JSON/JNIfTI (j) or BJNIfTI (b) instead of NIfTI (y/n/o/j/b, default n) [medfast: not j/b]
  -f : filename (%a=antenna (coil) name, %b=basename, %c=comments, %d=description, %e=echo number, %f=folder name, %g=accession number, %i=ID of patient, %j=seriesInstanceUID, %k=studyInstanceUID, %m=manufacturer, %n=name of patient, %o=mediaObjectInstanceUID, %p=protocol, %r=instance number, %s=series number, %t=time, %u=acquisition number, %v=vendor, %x=study ID; %z=sequence name; default '{template}')
  -g : generate defaults file (y/n/o/i [o=only: reset and write defaults; i=ignore: reset defaults], default n)
  -h : show help
  -i : ignore derived, localizer and 2D images (y/n/o, default n, o overrides keeping non-planar localizers)
  -l : losslessly scale 16-bit integers to use dynamic range (y/n/o [yes=scale, no=no, but uint16->int16, o=original], default o)
  -m : merge 2D slices from same series regardless of echo, exposure, etc. (n/y or 0/1/2, default 2) [no, yes, auto]
  -n : only convert this series CRC number - can be used up to 16 times (default convert all)
  -o : output directory (omit to save to input folder)
  -p : Philips precise float (not display) scaling (y/n/o, default y; o to override and ignore variable intensity scaling)
  -r : rename instead of convert DICOMs (y/n, default n)
  -q : only search directory for DICOMs (y/l/n, default n) [y=show number of DICOMs found, l=additionally list DICOMs found, n=no]
  -s : single file mode, do not convert other images in folder (y/n, default n)
  -v : verbose (n/y or 0/1/2, default 0) [no, yes, logorrheic]
  -w : write behavior for name conflicts (0,1,2, default 2: 0=skip duplicates, 1=overwrite, 2=add suffix)
  -x : crop 3D acquisitions (y/n/i, default n, use 'i'gnore to neither crop nor rotate 3D acquisitions)
  -z : compress images (y/o/i/n, default {gz}) [medfast: its own parallel zlib-ng gzip for y/o/i; not 3]
  --big-endian : byte order (y/n/o, default o) [y=big-end, n=little-end, o=optimal/native]
  --progress : Slicer format progress information (y/n, default n)
  --terse : omit filename post-fixes (can cause overwrites)
  --version : report version
  --xml : Slicer format features
 Refused by medfast (exit 12, naming the option): -f with %h or %H (BIDS names, so -bi, -bv, -br
  have nothing to name), -t y, -u, --diffCyclingModeGE
 Defaults file : {ini}
 Examples :
  {prog} /Users/chris/dir
  {prog} -o /users/cr/outdir/ -z y ~/dicomdir
  {prog} -f %p_%s -b y -ba n ~/dicomdir"""

XML = """<?xml version=1.0 encoding=utf-8?>
<executable>
<title>dcm2niix</title>
<description>DICOM importer</description>
  <parameters>
    At least one parameter
  </parameters>
</executable>"""


def _say(line=""):
    # dcm2niix ends a few messages without a line end: what it prints next shares their line
    print(line, end="" if line in (messages.PHILIPS_FIELD_MAPS, crop.NOT_16_BIT) else "\n", flush=True)


def _error(line):
    """dcm2niix's ``printError``: standard error."""
    print(f"Error: {line}", file=sys.stderr, flush=True)


def _note(line):
    """What medfast does differently from dcm2niix: standard error, so that parsers of standard output see dcm2niix's lines."""
    print(f"medfast dcm2niix: {line}", file=sys.stderr, flush=True)


def main(argv=None):
    """Run ``medfast dcm2niix`` with dcm2niix's arguments; return dcm2niix's exit status.

    Examples
    --------
    >>> main(["-t", "y", "in"])  # doctest: +ELLIPSIS
    Chris Rorden's dcm2niiX version v1.0.20260724 ...
    Error: medfast cannot honour '-t y' (text notes with private patient details)
    12
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    _say(console.banner())
    try:
        parsed = cli_options.parse(argv)
    except cli_options.OptionError as err:
        _say(str(err))
        return exitcodes.INVALID_PARAM
    for line in parsed.lines:
        _say(line)
    settings = parsed.settings
    if parsed.action == "help":
        _say(HELP.format(prog="medfast dcm2niix", template=settings.template, gz="y" if settings.gz else "n",
                         ini=cli_options.defaults_file()))
        return exitcodes.OK
    if parsed.action == "version":
        import medfast

        _say(f"medfast {medfast.__version__}")
        _say(console.DCM2NIIX_VERSION)
        return exitcodes.REPORT_VERSION
    if parsed.action == "xml":
        _say(XML)
        return exitcodes.OK
    if parsed.action == "update":
        _say("Error: medfast cannot honour '-u' (it checks GitHub for a newer dcm2niix release)")
        return exitcodes.INVALID_PARAM
    refused = cli_options.refusals(settings)
    if refused:
        for text, what in refused:
            _say(f"Error: medfast cannot honour '{text}' ({what})")
        return exitcodes.INVALID_PARAM
    if settings.gz_level > 9 and settings.gz:  # dcm2niix's -10/-11 are pigz's zopfli levels
        _note(f"{settings.given.get('gz_level')}: medfast compresses at zlib-ng's highest level, 9")
    if parsed.action == "example":
        _say(f"Example output filename: '{_example_name(settings)}'")
        return exitcodes.OK
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    code = _load(settings, parsed.inputs[0])
    if code != exitcodes.OK:
        return code
    if settings.search_only == 0:
        _say(console.conversion_time_line(time.perf_counter() - start_wall, time.process_time() - start_cpu))
    return exitcodes.OK


def _example_name(settings):
    from .naming import format_name, name_fields

    header = {"PatientName": "John_Doe", "PatientID": "ID123", "AccessionNumber": "ID123", "ImageType": ["ORIGINAL"],
              "ImageComments": "imgComments", "ProtocolName": "MPRAGE", "SeriesDescription": "T1_mprage",
              "SequenceName": "T1", "ScanningSequence": "tfl3d1_ns", "SeriesNumber": 1,
              "StudyDate": "19770703", "StudyTime": "150928"}
    fields = name_fields(header, {}, indir_parent="myFolder", source_name="dicom")
    name = format_name(settings.template, fields, add_postfixes=not settings.terse)
    if settings.export in ("y", "o"):
        from . import mgh_export, nrrd_export

        return name + (nrrd_export if settings.export == "y" else mgh_export).EXTENSION[settings.gz]
    return name + (".nii.gz" if settings.gz else ".nii")


def _load(settings, given):
    """dcm2niix's ``nii_loadDir``: check the input and output folders, then convert."""
    is_file = os.path.isfile(given)
    folder = (os.path.dirname(given) or os.getcwd()) if is_file else given
    if len(folder) > 1:
        folder = folder.rstrip("/") or "/"
    if not os.path.isdir(folder):
        _error(f"Input folder invalid: {folder}")
        return exitcodes.INPUT_INVALID
    out_dir = settings.out_dir
    out_dir = (out_dir.rstrip("/") or "/") if out_dir else folder
    if not os.path.isdir(out_dir):
        _error(f"Output folder invalid: {out_dir}")
        return exitcodes.OUTPUT_INVALID
    if settings.bids != "i" and not os.access(out_dir, os.W_OK):
        _error(f"Unable to write to output folder: {out_dir}")
        return exitcodes.OUTPUT_READ_ONLY
    if settings.rename:  # -r y: copy the DICOM files to their names, convert nothing
        from . import rename

        return rename.run(folder, out_dir, settings, _say, _error)
    from .._atomic import FolderBusyError, output_folder

    run = _Run(settings, folder, out_dir)
    try:
        with output_folder(out_dir, "medfast dcm2niix"):  # one run a folder; a killed run's series finished
            if is_file and settings.single_file:
                return run.convert([given], {given: search.file_syntax(given)})
            if settings.adjacent:
                return run.folder_by_folder(folder, settings.depth)
            return run.core(folder, settings.depth)
    except FolderBusyError as err:  # medfast's own guard (dcm2niix has none): one line, exit 1
        _note(str(err))
        return exitcodes.ERROR


class _Run:
    """One conversion: dcm2niix's ``nii_loadDirCore`` for a folder, its messages and its exit code."""

    def __init__(self, settings, folder, out_dir):
        self.settings, self.folder, self.out_dir = settings, folder, out_dir
        self.progress = Progress(0, _say)

    def folder_by_folder(self, folder, depth):
        """``-a y``: each folder on its own (no sub-folders), then its sub-folders, ``depth`` levels down."""
        code = self.core(folder, 0)
        if code == exitcodes.ERROR:
            return code
        if depth > 0:
            for entry in _entries(folder):
                if entry.is_dir() and not entry.name.startswith("."):
                    sub = self.folder_by_folder(os.path.join(folder, entry.name), depth - 1)
                    if sub == exitcodes.ERROR:
                        return sub
                    if sub == exitcodes.OK:
                        code = sub
        if code == exitcodes.NO_VALID_FILES:
            _error(f"Unable to find any DICOM images in {folder} (or subfolders 0 deep)")
        return code

    def core(self, folder, depth):
        syntaxes = {}
        self.progress = Progress(self.settings.progress, _say)  # --progress: one count a folder
        self.progress.start()
        files = search.find(folder, depth, syntaxes)
        if not files:
            if depth > 0:
                _error(f"Unable to find any DICOM images in {folder} (or subfolders {depth} deep)")
            return exitcodes.NO_VALID_FILES
        _say(console.found_line(len(files)))
        if self.settings.search_only == 2:
            _say("List of DICOM file(s):")
            for path in files:
                _say(path)
            _say(f"End of list ({len(files)} in total)")
        self.progress.found(len(files))
        if self.settings.search_only:
            self.progress.end_reading()
            return exitcodes.OK
        return self.convert(files, syntaxes)

    def convert(self, files, syntaxes):
        """Read, order, name and write the series of ``files``; print as dcm2niix; its exit code.

        ``syntaxes``: each file's transfer syntax; those dcm2niix refuses are left out with its warning.
        """
        from ..convert import Options
        from ..errors import MedfastError

        s = self.settings
        options = Options(
            template=s.template, to="nii.gz" if s.gz else "nii", sidecar=s.bids in ("y", "o"), image=s.bids != "o",
            anonymize=s.anonymize == "y", omit_pii=s.anonymize == "o",
            conflict=2 if s.conflict == 2 else 1,  # 0 and 1: decided when writing
            ignore_derived=s.ignore_derived == "y", add_postfixes=not s.terse, merge=s.merge,
            merge_coils=s.merge_dce, ignore_series_uid=s.ignore_series_uid, comment=s.comment,
            gz_level=min(s.gz_level, 9), philips_precise=s.philips_precise, ignore_scale_variation=s.ignore_scaling,
            keep_orientation_varies=s.keep_orientation_varies, ignore_trigger_times=s.ignore_trigger_times,
            flip_y=s.flip_y, rotate_3d=s.crop != "i", crop=s.crop == "y", big_endian=s.big_endian, export=s.export)
        index = {path: n for n, path in enumerate(files)}
        refused = [path for path in files if console.refused_syntax(syntaxes.get(path))]
        readable = [path for path in files if not console.refused_syntax(syntaxes.get(path))]
        skipped, placed, said, split = [], {}, {}, set()
        left_out = _LeftOut(refused, skipped, index, syntaxes, s, file_dump.HeaderLines(files, s.verbose))
        self.converted, self.failed = 0, False

        def order(vols):
            if s.keep_orientation_varies:  # -i o: said as the header is read, with the other header-time lines
                left_out.kept = [console.volume_files(vol)[0] for vol in vols if _orientation_varies(vol)]
            for vol, place in zip(vols, console.places(vols, index, ignore_uid=s.ignore_series_uid)):
                placed[id(vol)] = place
            ordered = sorted(vols, key=lambda vol: placed[id(vol)].key)
            ordered_vols[:] = ordered
            seen = set()
            for vol in ordered:
                files = console.volume_files(vol)
                split.update(seen.intersection(files))
                seen.update(files)
            lines = stacking.messages(ordered, [placed[id(v)] for v in ordered], index, s.merge)
            for n, vol in enumerate(ordered):
                said[id(vol)] = lines.get(n, [])
            if s.verbose:
                n = messages.acquisition_numbers_vary_at(ordered, [placed[id(v)] for v in ordered], s.merge)
                if n is not None:
                    said[id(ordered[n])] = said[id(ordered[n])] + [messages.ACQUISITION_NUMBERS_VARY]
            return ordered

        hinted, ordered_vols = set(), []

        def one(job, write):
            vol = job.volume
            place = placed[id(vol)]
            lines = left_out.before(place) + said[id(vol)]
            files = console.volume_files(vol)
            if files[0] in split and files[0] not in hinted:  # one file split by echo or scale
                hinted.add(files[0])
                if s.verbose:
                    lines += messages.packed_volume_lines([v for v in ordered_vols if files[0] in console.volume_files(v)])
                if _is_philips(vol):
                    lines.append(console.PHILIPS_ENHANCED_HINT)
            lines += messages.series_lines(vol, verbose=s.verbose, sidecar=s.bids in ("y", "o"),
                                           images=s.bids != "o", syntaxes=syntaxes, ge_rtia=s.ge_slice_times)
            if s.bids != "o":
                lines += gradient_messages.gradient_lines(vol, s.verbose)
            ignored = (vol.meta.get("scaling") or {}).get("ignored")
            if ignored:  # dcm2niix says so as it loads the first image
                lines.append(f"Warning: Variance of DICOM slope/intercept is being ignored due to use of "
                             f"the `{ignored}` option.")
            if place.phase == 0:  # --progress: the headers read before this file, or all of them
                self.progress.read_through(place.first)
            else:
                self.progress.end_reading()
            for line in lines:
                _say(line)
            before = self.converted
            self._one(job, write, place)
            self.progress.done(files if self.converted > before else [], place.phase == 0)

        try:
            _engine(self.folder, readable, self.out_dir, options, skipped, order, one)
        except MedfastError as err:
            _error(str(err))
            self.failed = True
        for line in left_out.before(None):
            _say(line)
        self.progress.finish()
        if self.failed:
            if self.converted == 0:
                return exitcodes.ERROR
            _error(f"Converted {self.converted} of {len(files)} files")
            return exitcodes.SOME_FAILED
        if self.converted == 0:
            _say(console.NO_VALID_IMAGES)
            return exitcodes.NO_VALID_FILES
        return exitcodes.OK

    def _one(self, job, write, place):
        """Print what dcm2niix prints for one series and write it (``write()``), as the options say."""
        from ..errors import MedfastError
        from .naming import exists

        s, vol = self.settings, job.volume
        files = console.volume_files(vol)
        echo = vol.meta.get("EchoNumber") or 0
        if s.list_series:
            _say(f"\t{place.crc}.{echo}\t{job.base}" if echo > 1 else f"\t{place.crc}\t{job.base}")
            _say(f" {files[0]}")
            self.converted += len(files)
            return
        number = place.crc + (echo / 10.0 if echo > 1 else 0.0)
        if s.series and not any(abs(number - want) < 1e-4 for want in s.series):
            self.converted += len(files)  # dcm2niix counts a series it was told to leave as done
            return
        if s.bids == "i":
            _say(f"Input-only mode: no BIDS/NIfTI output generated for '{job.base}'")
            self.converted += len(files)
            return
        if s.conflict != 2 and exists(job.base):
            if s.conflict == 0:
                _say(f"Warning: Skipping existing file named {job.base}")
                self.failed = True
                return
            _say(f"Warning: Overwriting existing file with the name {job.base}")
        if s.bids != "o":  # dcm2niix's last steps before writing the image, and what it says of them
            job.volume, said = sixteen_bit(vol, s.max16, s.verbose)
            for line in console.philips_scaling(vol, s.verbose, s.philips_precise) + said + \
                    messages.classic_xa_warning(vol):
                _say(line)
        try:
            write()
        except MedfastError as err:
            _error(str(err))
            self.failed = True
            return
        if s.bids != "o":
            _say(console.convert_line(vol, job.base))
        notes = list(job.notes)  # what dcm2niix says as it writes: -y n before saving, -x y after
        if notes[:1] == [ROWS_PRESERVED]:
            _say(notes.pop(0))
        if s.bids != "o" and (vol.meta.get("scaling") or {}).get("varies"):
            _say("Saving as 32-bit float (slope, intercept or bits allocated varies).")
        for line in notes:
            _say(line)
        if job.failed:
            self.failed = True
            return
        if any(path[len(job.base):].startswith("_Tilt") for path in getattr(job, "written", None) or ()):
            _say(messages.TILT_CORRECTED)  # dcm2niix says it as it writes the tilt-corrected copy
        if s.verbose and any(path[len(job.base):].startswith(("_Eq", "_Tilt_Eq")) for path in getattr(job, "written", None) or ()):
            for line in messages.equalization_lines(vol):
                _say(line)
        if s.ignore_derived == "y" and s.bids != "o" and messages.derived_dwi_volumes(vol):
            _say(messages.IGNORING_DERIVED_DWI)  # as it leaves out the _ADC copy
        self.converted += len(files)


class _LeftOut:
    """dcm2niix's lines for the files left out, where dcm2niix prints them.

    A transfer syntax it refuses, or that no installed decoder reads: its
    warning as it reads that file's header, before the series converted after
    the headers (and before a multi-volume file later in the listing); JPEG
    2000 once, after the headers. A derived image with ``-i y``: once, where
    its series comes in the CRC order. A file medfast leaves out that dcm2niix
    would have read (a broken header, no geometry, no decoder) is named on
    standard error.
    """

    def __init__(self, refused, skipped, index, syntaxes, settings, read):
        self.refused, self.skipped, self.index, self.syntaxes, self.settings = refused, skipped, index, syntaxes, settings
        self.read = read  # what dcm2niix prints as it reads each file's header (file_dump.HeaderLines)
        self.said = set()
        self.kept = []  # -i o: files converted although their frames change orientation
        self.derived = None  # the smallest series CRC of a derived file, once known

    def _pending(self):
        from ..dicom.reader import LEFT_OUT_2D, LEFT_OUT_DERIVED

        out = [(path, None) for path in self.refused] + [(path, _KEPT) for path in self.kept]
        out += [(path, reason) for path, reason in dict(self.skipped).items()
                if reason not in (LEFT_OUT_DERIVED, LEFT_OUT_2D)]
        return sorted((item for item in out if item[0] not in self.said), key=lambda item: self.index.get(item[0], 0))

    def before(self, place):
        """The lines due before the series at ``place`` (``None``: all that remain)."""
        from ..dicom.reader import LEFT_OUT_DERIVED

        out = []
        limit = place.first if place is not None and place.phase == 0 else None
        for path, reason in self._pending():
            if limit is not None and self.index.get(path, 0) > limit:
                break
            self.said.add(path)
            if reason is _KEPT:  # dcm2niix warns once it has read the file
                out += self.read.upto(self.index.get(path, 0))
                out.append(KEEPING_ORIENTATION_VARIES)
                continue
            out += self.read.upto(self.index.get(path, 0) - 1)
            syntax = self.syntaxes.get(path)
            undecodable = reason is None or "TransferSyntaxUID" in reason
            if reason is not None:
                _note(f"left out {path}: {reason}")
            if reason is not None and ORIENTATION_VARIES in reason and not _is_localizer(path) \
                    and not self.settings.keep_orientation_varies:
                _error(console.ORIENTATION_VARIES)
            if undecodable and console.is_jpeg_2000(syntax):
                self.said.add("jpeg2000 due")
            elif undecodable and syntax is not None:
                out.append(console.syntax_warning(syntax))
            out += self.read.upto(self.index.get(path, 0))
        out += self.read.upto(limit)
        if limit is None and "jpeg2000 due" in self.said and "jpeg2000" not in self.said:
            self.said.add("jpeg2000")
            out.append(console.JPEG_2000_WARNING)
        if self.settings.verbose < 2 and "derived" not in self.said and (place is None or place.phase == 1):
            if self.derived is None:
                self.derived = min((_file_crc(p, self.settings) for p, r in dict(self.skipped).items()
                                    if r == LEFT_OUT_DERIVED), default=-1)
            if self.derived >= 0 and (place is None or place.crc >= self.derived):
                self.said.add("derived")
                out.append(console.SKIPPING_DERIVED)
        return out


_KEPT = "kept although its orientation varies (-i o)"
KEEPING_ORIENTATION_VARIES = "Warning: Keeping series even though slice orientation varies"


def _orientation_varies(vol):
    """True for a multi-frame file whose frames change orientation (dcm2niix's isSliceOrientVaries)."""
    from ..dicom import enhanced

    if not vol.meta.get("enhanced"):
        return False
    orientations = [f.get("ImageOrientationPatient") for f in enhanced.frames(vol.meta["header"])]
    known = [np.asarray(o, np.float32) for o in orientations if o is not None]
    return any(np.any(np.abs(o - known[0]) > 1e-4) for o in known[1:])


def _file_crc(path, settings):
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # read once already; a failure now leaves the message to the end
        return 1 << 32
    frames = int(ds.get("NumberOfFrames") or 1)
    return console.series_crc(ds, single_frame=frames <= 1, ignore_uid=settings.ignore_series_uid)


def _is_localizer(path):
    from ..dicom.reader import header_of

    try:
        return console.is_localizer(header_of(path))
    except Exception:  # read once already; a failure now: not a localizer, the error is said
        return False


def _is_philips(vol):
    header = vol.meta.get("header") or {}
    return str(vol.meta.get("Manufacturer") or header.get("Manufacturer") or "").upper().startswith("PHILIPS")


def _entries(folder):
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _engine(folder, files, out_dir, options, skipped, order, on_job):
    """The one call of medfast's engine: read and name the series (``plan``), then each job to ``on_job``.

    ``on_job(job, write)`` prints and decides; ``write()`` writes the job's files (``execute``).
    """
    from ..convert import execute, plan

    for job in plan([folder], out_dir, options, files=files, skipped=skipped, order=order):
        on_job(job, lambda job=job: execute([job], options))


if __name__ == "__main__":
    sys.exit(main())
