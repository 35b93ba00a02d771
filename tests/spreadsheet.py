"""Open a CSV export the way a user does: LibreOffice Calc (headless) converts it, openpyxl reads the cells."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

# Comma-separated, double quotes, UTF-8 (76), start at line 1: what Calc's import dialog offers for our files.
CSV_FILTER = "CSV:44,34,76,1"


def calc_cells(csv_bytes):
    """The CSV's rows as LibreOffice Calc reads them: [[(value, data_type), ...], ...]."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed (scripts/ensure-system.sh installs libreoffice-calc-nogui)"
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "export.csv")
        source.write_bytes(csv_bytes)
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
             f"--infilter={CSV_FILTER}", "--convert-to", "xlsx", "--outdir", folder, str(source)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        book = openpyxl.load_workbook(Path(folder, "export.xlsx"))
        return [[(c.value, c.data_type) for c in row] for row in book.active.iter_rows()]


def column(cells, header):
    """Values under a header (the header row found by its text)."""
    for number, row in enumerate(cells):
        names = [v for v, _ in row]
        if header in names:
            index = names.index(header)
            return [r[index] for r in cells[number + 1 :] if len(r) > index]
    raise AssertionError(f"no column {header!r}")
