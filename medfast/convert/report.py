"""``--report FILE.html``: one page with every series of a bulk run and every failure.

Each converted series shows its thumbnail (middle slices in three
orientations, drawn by ``medfast.preview``, embedded as a PNG data URL so the
page is one self-contained file), outputs, shape, spacing, dtype and warnings
(uneven spacing, gantry tilt, missing slices); each failure its source and
reason. Every value from a DICOM file is HTML-escaped.
"""
from __future__ import annotations

import html
import os

_STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
th{background:#f4f4f4}img{background:#000;display:block}.warn{color:#a15c00}.fail{color:#b00020}.muted{color:#777}"""


def _e(value):
    return html.escape(str(value), quote=True)


def _series_row(s):
    thumb = f'<img alt="thumbnail" src="data:image/png;base64,{s["png"]}">' if s.get("png") else \
        '<span class="muted">(no thumbnail)</span>'
    outputs = "<br>".join(_e(p) for p in s.get("outputs", ()))
    spacing = " x ".join(f"{v:g}" for v in s.get("spacing", ()))
    warnings = "<br>".join(f'<span class="warn">{_e(w)}</span>' for w in s.get("warnings") or ()) or "none"
    return (f"<tr><td>{thumb}</td><td>{outputs}<br><span class='muted'>{_e(s['status'])}, "
            f"{_e(s.get('sources', '?'))} files</span></td><td>{_e(' x '.join(map(str, s.get('shape', ()))))}</td>"
            f"<td>{_e(spacing)} mm</td><td>{_e(s.get('dtype', ''))}</td><td>{warnings}</td></tr>")


def _warnings(summary):
    items = "".join(f'<li class="warn">{_e(w)}</li>' for w in getattr(summary, "warnings", ()))
    return f"<h2>Warnings</h2><ul>{items}</ul>\n" if items else ""


def render_report(summary):
    """The HTML text of the report for a ``bulk.Summary`` (or anything with the same attributes)."""
    counts = summary.to_dict()
    head = (f"{counts['converted']} series converted, {counts['skipped']} already done, "
            f"{counts['planned']} planned, {len(summary.failures)} failures; "
            f"{summary.files} files scanned ({summary.not_dicom} not DICOM) in {summary.seconds:.1f} s")
    rows = "\n".join(_series_row(s) for s in summary.series)
    fails = "\n".join(f'<tr><td class="fail">{_e(f["source"])}</td><td>{_e(f["reason"])}</td></tr>'
                      for f in summary.failures) or '<tr><td colspan="2">none</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>medfast convert: {_e(summary.out_dir)}</title>
<style>{_STYLE}</style></head><body>
<h1>medfast convert</h1>
<p>Output folder: <code>{_e(summary.out_dir)}</code><br>{_e(head)}</p>
{_warnings(summary)}<h2>Series</h2>
<table><tr><th>picture</th><th>outputs</th><th>shape</th><th>spacing</th><th>dtype</th><th>warnings</th></tr>
{rows}
</table>
<h2 id="failures">Failures</h2>
<table><tr><th>source</th><th>reason</th></tr>
{fails}
</table>
</body></html>
"""


def write_report(summary, path):
    """Write the report of a bulk run to ``path``, atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> from medfast.convert.bulk import Summary
    >>> s = Summary("out"); s.failures.append({"source": "a.dcm", "reason": "<truncated>"})
    >>> path = os.path.join(tempfile.mkdtemp(), "r.html"); write_report(s, path)
    >>> "&lt;truncated&gt;" in open(path).read()
    True
    """
    from .._atomic import atomic_path

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(render_report(summary))
