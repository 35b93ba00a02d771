"""An abnormal visit opens a pre-filled incident in the same flow: one walk through, two linked records."""

from sqlalchemy import text

from patrol.extensions import db
from tests.e2e.helpers import Taps, choose_category, sign_in, wait_synced


def test_an_abnormal_visit_reports_an_incident_in_the_same_flow(field_day, page):
    sign_in(page)
    wait_synced(page)
    taps = Taps(page)
    taps.tap("#go-visit")
    taps.tap(f"[data-person='{field_day['id']}']")
    taps.tap("#visit-method [data-value='电话']")
    taps.tap("#visit-condition [data-value='异常']")
    page.fill("#visit-note", "情绪激动，与邻居发生纠纷")
    taps.tap("#save-visit")
    assert taps.count == 5
    page.wait_for_selector("#incident-form")
    assert "情绪激动" in page.input_value("#incident-description")  # pre-filled from the visit
    taps = Taps(page)
    choose_category(page, "0101", taps.tap)  # never used on this phone: its group, then itself
    taps.tap("#save-incident")
    assert taps.count == 3
    page.wait_for_selector("#go-report")  # saved to the outbox, back home …
    wait_synced(page)  # … and sent

    db.session.rollback()  # see what the live server committed
    visit_id, condition = db.session.execute(text("SELECT id, condition FROM visit")).one()
    assert condition == "异常"
    incident = db.session.execute(text("SELECT source, visit_id FROM incident")).one()
    assert tuple(incident) == ("visit", visit_id)
