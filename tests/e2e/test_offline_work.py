"""A worker's day with no signal: patrol, incident with a photo, visit; reload; back online, one copy of each."""

from sqlalchemy import text

from patrol.extensions import db
from tests.e2e.conftest import WALK
from tests.e2e.helpers import (
    Taps,
    choose_category,
    expect_pending,
    go_offline,
    go_online,
    jpeg,
    local_fixes,
    outbox_operations,
    pending,
    sign_in,
    wait_controlled,
    wait_synced,
    walk,
)


def count(sql, **params):
    db.session.rollback()  # see what the live server committed
    return db.session.execute(text(sql), params).scalar_one()


def test_offline_day_syncs_exactly_once(field_day, page, context, server):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    go_offline(server, context)
    try:
        taps = Taps(page)
        taps.tap("#start-patrol")
        page.wait_for_selector("#stop-patrol")
        assert taps.count == 1
        walk(page, context, WALK)
        page.wait_for_function("() => /\\d+ m/.test(document.querySelector('#patrol-distance').textContent)")
        taps = Taps(page)
        taps.tap("#stop-patrol")
        assert taps.count == 1
        fixes = local_fixes(page)
        assert fixes >= 4

        page.goto("/app/#/")
        taps = Taps(page)
        taps.tap("#go-report")
        page.set_input_files("#incident-photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        page.wait_for_selector("#incident-form img.preview")
        choose_category(page, "0201", taps.tap)
        page.fill("#incident-description", "楼道堆放纸箱")
        taps.tap("#save-incident")
        page.wait_for_selector("#go-report")
        assert taps.count <= 4

        taps = Taps(page)
        taps.tap("#go-visit")
        taps.tap(f"[data-person='{field_day['id']}']")
        taps.tap("#visit-method [data-value='入户']")
        taps.tap("#visit-condition [data-value='正常']")
        page.fill("#visit-note", "一切正常")
        taps.tap("#save-visit")
        page.wait_for_selector("#go-visit")
        assert taps.count <= 5

        queued = pending(page)
        assert queued == 3  # records: one patrol (start, fixes, finish), one incident, one visit
        operations = outbox_operations(page)
        assert operations >= 5
        page.reload()
        page.wait_for_selector("#go-report")
        expect_pending(page, queued)
        assert count("SELECT count(*) FROM patrol") == 0
    finally:
        go_online(server, context)
    wait_synced(page, timeout=30000)

    assert count("SELECT count(*) FROM patrol") == 1
    assert count("SELECT count(*) FROM patrol WHERE ended_at IS NOT NULL") == 1
    assert count("SELECT count(*) FROM track_point") == fixes
    assert count("SELECT count(*) FROM incident") == 1
    assert count("SELECT count(*) FROM photo_use WHERE record_type = 'incident'") == 1
    assert count("SELECT count(*) FROM photo") == 1
    assert count("SELECT max(width) FROM photo") <= 1600
    assert count("SELECT count(*) FROM visit") == 1
    assert count("SELECT count(*) FROM sync_operation") == operations  # each operation applied once

    page.click("#sync-now")
    wait_synced(page)
    assert count("SELECT count(*) FROM incident") == 1 and count("SELECT count(*) FROM track_point") == fixes

    page.click("#go-report")  # the category used last comes first next time
    assert page.locator("#categories [data-category]").first.get_attribute("data-category") == "0201"
