"""Hostile XLSX ledgers (zip bombs, million-row sheets, DTDs) answer 4xx within seconds and little memory."""

import io
import os
import threading
import time
import zipfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import assert_error_shape
from tests.people.test_import import good_rows, workbook

UPLOAD = 12 * 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _rebuild(replace, pad_to=0):
    """A valid ledger workbook with some parts replaced (bytes or an iterator of chunks), padded with noise."""
    base = zipfile.ZipFile(io.BytesIO(workbook(good_rows())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            content = replace.get(info.filename, base.read(info))
            if isinstance(content, bytes):
                archive.writestr(info.filename, content)
            else:
                with archive.open(info.filename, "w", force_zip64=True) as part:
                    for chunk in content:
                        part.write(chunk)
        if pad_to:
            archive.writestr(zipfile.ZipInfo("xl/media/image1.png"), os.urandom(pad_to - out.tell() - 4096))
    return out.getvalue()


def _blank_styled_rows(megabytes):
    block = b'<row s="1" customFormat="1" ht="15" customHeight="1"/>' * 20000
    yield SHEET_HEAD.encode() + b"<sheetData>"
    for _ in range(megabytes * 1024 * 1024 // len(block)):
        yield block
    yield b"</sheetData></worksheet>"


def zip_bomb():
    """12 MB upload whose sheet inflates to 400 MB of blank styled rows."""
    return _rebuild({SHEET: _blank_styled_rows(400)}, pad_to=UPLOAD)


def million_row_sheet():
    """12 MB upload, tiny sheet: dimension A1:XFD1048576 and a last cell far away (a reader walks every row)."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = SHEET_HEAD + '<dimension ref="A1:XFD1048576"/><sheetData>'
    sheet += '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名*</t></is></c></row>' + far
    return _rebuild({SHEET: (sheet + "</sheetData></worksheet>").encode()}, pad_to=UPLOAD)


def many_rows_sheet():
    """A compact sheet of 200,000 real rows of one short cell each (within the size caps, past the row cap)."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, 200_001))
    return _rebuild({SHEET: f"{SHEET_HEAD}<sheetData>{rows}</sheetData></worksheet>".encode()})


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>'
)


def dtd_in(part):
    base = zipfile.ZipFile(io.BytesIO(workbook(good_rows())))
    content = base.read(part).decode()
    content = LAUGHS + content[content.index("?>") + 2 :] if content.startswith("<?xml") else LAUGHS + content
    return _rebuild({part: content.encode()})


@pytest.fixture
def community(demo, login):
    return login("demo-community")


def _rss_kb(field):
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith(field)).split()[1])


def _post_measured(api, data):
    """Post the upload in a thread: (response or None if not answered in 5 s, seconds, peak memory growth MB)."""
    upload = FileStorage(io.BytesIO(data), filename="ledger.xlsx", content_type="application/octet-stream")
    boundary, body = encode_multipart({"file": upload})
    del data
    result = {}

    def run():
        result["response"] = api.post(
            "/api/v1/people/import?dry_run=true",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    baseline = _rss_kb("VmRSS:")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak (VmHWM) to the current size
    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=5)
    seconds = time.monotonic() - started
    return result.get("response"), seconds, (_rss_kb("VmHWM:") - baseline) / 1024


@pytest.mark.parametrize("hostile", [zip_bomb, million_row_sheet, many_rows_sheet])
def test_hostile_workbook_answers_4xx_quickly_with_little_memory(community, hostile):
    data = hostile()
    response, seconds, grown_mb = _post_measured(community, data)
    assert response is not None, "no answer within 5 s"
    body = assert_error_shape(response, 413)
    assert body["errors"]["file"]
    assert seconds < 5
    assert grown_mb < 50, f"memory grew by {grown_mb:.0f} MB"


@pytest.mark.parametrize("part", [SHEET, "xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_dtd_or_entity_in_any_part_is_refused(community, part):
    data = dtd_in(part)
    response = community.post(
        "/api/v1/people/import?dry_run=true",
        data={"file": (io.BytesIO(data), "台账.xlsx")},
        content_type="multipart/form-data",
    )
    body = assert_error_shape(response, 422)
    assert "DTD" in body["errors"]["file"][0]


def test_a_real_ledger_still_imports_after_the_checks(community):
    response = community.post(
        "/api/v1/people/import?dry_run=true",
        data={"file": (io.BytesIO(workbook(good_rows())), "台账.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
