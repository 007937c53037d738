"""Reports: one self-contained HTML page per language from an evaluation, with SVG charts.

``render_report(evaluation, "zh")`` returns the page; ``write_reports(evaluation, out_dir)``
writes ``report-zh.html`` and ``report-en.html``. See :mod:`.html` and :mod:`.svg`.
"""

from .html import render_report, write_reports

__all__ = ["render_report", "write_reports"]
