"""Bounded reading of uploaded XLSX files: every XLSX upload goes through `sheet_rows`.

An XLSX file is a zip of XML parts, so a small upload can declare gigabytes (zip bomb), hold a
DTD with entity expansion, or a sheet whose dimension or row numbers make a reader walk a million
empty rows. Before openpyxl sees the file, the archive's directory and every XML part are checked
(entry count, declared sizes, compression ratio, no DTD, rows and cells per row); the first sheet is
then streamed in read-only mode with rows and columns capped and a time budget.
"""

import re
import time
import zipfile
from dataclasses import dataclass

from flask import current_app
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from patrol.errors import Invalid, PayloadTooLarge

MB = 1024 * 1024
OTHER_XML_PART_MAX = 2 * MB  # styles, workbook, relationships: a few KB in real files
RATIO_CHECKED_FROM = 1 * MB  # small parts may compress very well; only large ones are judged by ratio
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c|si)[\s/>]")
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    max_entries: int = 100
    max_total_bytes: int = 32 * MB
    max_part_bytes: int = 8 * MB
    max_ratio: int = 100
    max_rows: int = 10000
    max_columns: int = 64
    time_budget: float = 3.0

    @classmethod
    def from_config(cls, config):
        return cls(
            max_entries=config["XLSX_MAX_ENTRIES"],
            max_total_bytes=config["XLSX_MAX_UNCOMPRESSED_MB"] * MB,
            max_part_bytes=config["XLSX_MAX_PART_MB"] * MB,
            max_ratio=config["XLSX_MAX_RATIO"],
            max_rows=config["XLSX_MAX_ROWS"],
            max_columns=config["XLSX_MAX_COLUMNS"],
            time_budget=config["XLSX_TIME_BUDGET_SECONDS"],
        )


def _not_xlsx(reason):
    return Invalid("people.file_not_valid_xlsx", {"file": [reason[:200]]})


def _too_large(reason):
    return PayloadTooLarge("people.workbook_too_large_or", {"file": [reason]})


def _check_directory(archive, limits):
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise _too_large(f"more than {limits.max_entries} parts in the archive")
    if sum(e.file_size for e in entries) > limits.max_total_bytes:
        raise _too_large(f"declared uncompressed size above {limits.max_total_bytes // MB} MB")
    for entry in entries:
        is_xml = entry.filename.endswith((".xml", ".rels", ".vml"))
        data_part = entry.filename.startswith(("xl/worksheets/", "xl/sharedStrings"))
        cap = limits.max_part_bytes if data_part or not is_xml else OTHER_XML_PART_MAX
        if entry.file_size > cap:
            raise _too_large(f"part {entry.filename[:80]} declares more than {cap // MB} MB")
        if entry.file_size > RATIO_CHECKED_FROM and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise _too_large(f"part {entry.filename[:80]} compresses more than {limits.max_ratio}:1")


def _count_tags(data, counts, limits):
    """Count rows, cells of the current row and shared strings; refuse past the caps."""
    for match in _ROW_OR_CELL.finditer(data):
        kind = match.group(1)
        if kind == b"row":
            counts["rows"], counts["cells"] = counts["rows"] + 1, 0
        elif kind == b"c":
            counts["cells"] += 1
        else:
            counts["strings"] += 1
        if counts["rows"] > limits.max_rows + 1 or counts["cells"] > limits.max_columns:
            raise _too_large(f"more than {limits.max_rows} rows or {limits.max_columns} columns")
        if counts["strings"] > (limits.max_rows + 1) * limits.max_columns:
            raise _too_large("too many shared strings")


def _scan_part(archive, entry, limits):
    """Stream one XML part: UTF-8, no DTD or entity, rows and cells per row within the caps."""
    name = entry.filename[:80]
    counts = {"rows": 0, "cells": 0, "strings": 0}
    carry, read = b"", 0
    with archive.open(entry) as part:
        while chunk := part.read(_CHUNK):
            if read == 0 and (chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:64]):
                raise _not_xlsx(f"part {name} is not UTF-8 XML")
            read += len(chunk)
            if read > entry.file_size:
                raise _too_large(f"part {name} is larger than it declares")
            data = carry + chunk
            cut = data.rfind(b"<")  # a tag name cut by the chunk boundary is read with the next chunk
            data, carry = (data[:cut], data[cut:]) if cut >= 0 and len(data) - cut <= 64 else (data, b"")
            if _DTD.search(data):
                raise _not_xlsx(f"part {name} contains a DTD or entity declaration")
            _count_tags(data, counts, limits)
    if _DTD.search(carry):
        raise _not_xlsx(f"part {name} contains a DTD or entity declaration")


def check_archive(stream, limits):
    """Refuse archives that are bombs, hold DTDs or oversized sheets, before any XML parser runs."""
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_directory(archive, limits)
            for entry in archive.infolist():
                if entry.filename.endswith((".xml", ".rels", ".vml")):
                    _scan_part(archive, entry, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
        raise _not_xlsx(str(exc)) from None
    finally:
        stream.seek(0)


def sheet_rows(stream, limits=None):
    """Value tuples of the first sheet (at most max_columns wide), checked first and read within the budget."""
    limits = limits or XlsxLimits.from_config(current_app.config)
    deadline = time.monotonic() + limits.time_budget
    check_archive(stream, limits)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError) as exc:
        raise _not_xlsx(str(exc)) from None
    try:
        if not book.worksheets:
            raise _not_xlsx("the workbook has no sheet")
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_row=limits.max_rows + 1, max_col=limits.max_columns, values_only=True)
        for number, values in enumerate(rows, start=1):
            if number > limits.max_rows:
                raise _too_large(f"more than {limits.max_rows} rows")
            if number % 100 == 0 and time.monotonic() > deadline:
                raise _too_large(f"reading the workbook took more than {limits.time_budget:g} s")
            yield values
    except (ValueError, TypeError, KeyError, SyntaxError) as exc:
        raise _not_xlsx(str(exc)) from None
    finally:
        book.close()
