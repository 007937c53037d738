"""Hostile import files, built in the test: huge, wide, badly compressed or lying about sizes.

Imported by the ingest, command-line and platform tests; it holds no test itself. Every
builder returns bytes, so a test writes them where it needs them (a file, an upload).
"""

from __future__ import annotations

import io
import struct
import zipfile

LONG_HEADER = "indicator,area,year,value,unit,source"

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0"?><workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"),
}


def bad_rows_csv(n: int) -> bytes:
    """``n`` rows like ``x,,,1,,``: each row breaks about five rules."""
    return (LONG_HEADER + "\n" + "x,,,1,,\n" * n).encode("ascii")


def wide_header_csv(n: int) -> bytes:
    """A header of ``n`` unknown column names, and one short data row."""
    return (",".join(f"c{i}" for i in range(n)) + "\nx,1\n").encode("ascii")


def long_first_line_csv(kib: int) -> bytes:
    """A long-format header whose last column name is ``kib`` KiB long, then one data row."""
    return (LONG_HEADER + "," + "a" * (kib * 1024) + "\nx,,,1,,,\n").encode("ascii")


def workbook(shared_strings: bytes | int, *, sheet_rows: int = 1, level: int = 1) -> bytes:
    """A minimal .xlsx whose one sheet has ``sheet_rows`` rows reading shared string 0.

    ``shared_strings`` is the sharedStrings.xml part, or a size in bytes: a part of about
    that many bytes of one short string repeated (highly compressible — a zip bomb when big).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{_NS}"><sheetData>'.encode())
            for r in range(1, sheet_rows + 1):
                f.write(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>'.encode())
            f.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            if isinstance(shared_strings, bytes):
                f.write(shared_strings)
            else:
                f.write(f'<?xml version="1.0"?><sst xmlns="{_NS}">'.encode())
                item = b"<si><t>" + b"a" * 48 + b"</t></si>"
                chunk = item * (1 << 14)
                written = 0
                while written < shared_strings:
                    f.write(chunk)
                    written += len(chunk)
                f.write(b"</sst>")
    return out.getvalue()


def shared_strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<?xml version="1.0"?><sst xmlns="{_NS}">{items}</sst>'.encode()


def understate_size(data: bytes, member: str, declared: int) -> bytes:
    """The zip ``data`` with ``member``'s uncompressed size rewritten as ``declared`` bytes.

    Both the local header and the central directory say ``declared`` (in their 32-bit field,
    or in the zip64 extra field when that one is in use), as a hand-made bomb would; the
    compressed data still inflates to the real size.
    """
    buf = bytearray(data)
    name = member.encode()
    # (signature, offset of the 32-bit uncompressed size, of the name length, fixed size)
    for signature, size_at, name_at, fixed in ((b"PK\x03\x04", 22, 26, 30),
                                               (b"PK\x01\x02", 24, 28, 46)):
        at = 0
        while (at := buf.find(signature, at)) >= 0:
            n_len, x_len = struct.unpack_from("<HH", buf, at + name_at)
            if bytes(buf[at + fixed: at + fixed + n_len]) == name:
                if struct.unpack_from("<I", buf, at + size_at)[0] != 0xFFFFFFFF:
                    struct.pack_into("<I", buf, at + size_at, declared)
                extra, end = at + fixed + n_len, at + fixed + n_len + x_len
                while extra < end:
                    tag, size = struct.unpack_from("<HH", buf, extra)
                    if tag == 0x0001 and struct.unpack_from("<I", buf, at + size_at)[0] == \
                            0xFFFFFFFF:  # zip64: the uncompressed size comes first
                        struct.pack_into("<Q", buf, extra + 4, declared)
                    extra += 4 + size
            at += 4
    return bytes(buf)


def replace_part(data: bytes, member: str, content: bytes) -> bytes:
    """The zip ``data`` with ``member`` holding ``content`` instead."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w",
                                                                   zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == member else src.read(info))
    return out.getvalue()
