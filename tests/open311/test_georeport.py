"""GeoReport v2 as the spec defines it: services, POST/GET requests, tokens, errors; JSON and XML."""

import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from sqlalchemy import func, select

from patrol.extensions import db
from patrol.incidents.models import Incident
from patrol.localtime import utcnow
from tests.open311.conftest import order


def parse_xml(response):
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.get_data().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.get_data())  # noqa: S314 -- our own response


def spec_error(response, status, fmt="json"):
    """The spec's error list: [{code, description}] (or <errors><error>…)."""
    assert response.status_code == status, response.get_data(as_text=True)
    if fmt == "xml":
        errors = parse_xml(response)
        assert errors.tag == "errors"
        first = errors.find("error")
        assert first.findtext("code") == str(status) and first.findtext("description")
        return first.findtext("description")
    body = response.get_json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    return body[0]["description"]


def test_services_list_the_sub_categories_in_json_and_xml(client, departments):
    services = client.get("/open311/v2/services.json").get_json()
    occupy = next(s for s in services if s["service_code"] == "0602")
    assert set(occupy) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert occupy["type"] == "realtime" and occupy["metadata"] is True
    assert occupy["service_name"] and occupy["group"]
    root = parse_xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [s["service_code"] for s in services]
    assert root.find("service").findtext("metadata") == "true"


def test_service_definition_names_the_upstream_attributes(client, departments):
    definition = client.get("/open311/v2/services/0602.json").get_json()
    assert definition["service_code"] == "0602"
    codes = {a["code"]: a for a in definition["attributes"]}
    assert codes["upstream_id"]["required"] is True and codes["upstream_id"]["datatype"] == "string"
    assert codes["deadline"]["datatype"] == "datetime"
    root = parse_xml(client.get("/open311/v2/services/0602.xml"))
    assert root.tag == "service_definition"
    assert [a.findtext("code") for a in root.find("attributes").findall("attribute")] == ["upstream_id", "deadline"]
    spec_error(client.get("/open311/v2/services/9999.json"), 404)
    spec_error(client.get("/open311/v2/services/9999.xml"), 404, "xml")


def test_an_order_sent_twice_is_stored_once_and_answers_the_same_id(client, hotline):
    deadline = (utcnow() + timedelta(hours=6)).isoformat()
    fields = order(hotline["api_key"], **{"attribute[deadline]": deadline})
    first = client.post("/open311/v2/requests.json", data=fields)
    assert first.status_code == 201, first.get_json()
    [answer] = first.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    again = client.post("/open311/v2/requests.json", data=fields)
    assert again.status_code == 200 and again.get_json()[0]["service_request_id"] == answer["service_request_id"]
    assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 1
    incident = db.session.get(Incident, uuid.UUID(answer["service_request_id"]))
    assert (incident.source, incident.status) == ("upstream", "accepted")
    assert incident.due_at == datetime.fromisoformat(deadline)


def test_post_in_xml_and_read_back_by_id_token_status_and_dates(client, hotline):
    key = hotline["api_key"]
    created = parse_xml(client.post("/open311/v2/requests.xml", data=order(key)))
    assert created.tag == "service_requests"
    request_id = created.find("request").findtext("service_request_id")
    [one] = client.get(f"/open311/v2/requests/{request_id}.json?api_key={key}").get_json()
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["service_code"] == "0602" and one["address"] == "文三路 100 号"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(one[name]).tzinfo is not None
    assert abs(one["lat"] - float(order(key)["lat"])) < 1e-6
    listed = client.get(f"/open311/v2/requests.json?api_key={key}&service_request_id={request_id}").get_json()
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert len(client.get(f"/open311/v2/requests.json?api_key={key}&status=open").get_json()) == 1
    assert client.get(f"/open311/v2/requests.json?api_key={key}&status=closed").get_json() == []
    start = (utcnow() - timedelta(days=1)).isoformat()
    window = client.get("/open311/v2/requests.json", query_string={"api_key": key, "start_date": start})
    assert len(window.get_json()) == 1
    root = parse_xml(client.get(f"/open311/v2/requests.xml?api_key={key}&service_code=0602"))
    assert root.find("request").findtext("service_request_id") == request_id
    assert root.find("request").findtext("status") == "open"
    token = db.session.execute(db.text("SELECT token FROM open311_request")).scalar()
    [by_token] = client.get(f"/open311/v2/tokens/{token}.json?api_key={key}").get_json()
    assert by_token == {"service_request_id": request_id, "token": token}


def test_wrong_or_missing_api_key_is_refused_in_the_spec_format(client, hotline):
    spec_error(client.post("/open311/v2/requests.json", data=order("o311_wrong")), 403)
    spec_error(client.post("/open311/v2/requests.xml", data=order("")), 403, "xml")
    spec_error(client.get("/open311/v2/requests.json?api_key=nope"), 403)
    assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 0


def test_bad_orders_get_400_and_store_nothing(client, hotline):
    key = hotline["api_key"]
    bad = [
        {k: v for k, v in order(key).items() if k != "lat"},
        {k: v for k, v in order(key).items() if k != "attribute[upstream_id]"},
        order(key, lat="north"),
        order(key, lat="nan"),
        order(key, lat="30.40", long="120.30"),  # inside China, outside every grid
        order(key, lat="48.85", long="2.35"),  # Paris
        order(key, **{"attribute[deadline]": "tomorrow"}),
        order(key, **{"attribute[deadline]": "2026-12-03T18:00:00"}),  # no time zone
        order(key, **{"attribute[deadline]": (utcnow() - timedelta(hours=1)).isoformat()}),
        order(key, media_url="javascript:alert(1)"),
        order(key, description="长" * 4001),
    ]
    for fields in bad:
        spec_error(client.post("/open311/v2/requests.json", data=fields), 400)
    assert "grid" in spec_error(client.post("/open311/v2/requests.xml", data=bad[4]), 400, "xml")
    spec_error(client.post("/open311/v2/requests.json", data=order(key, service_code="9999")), 404)
    assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 0


def test_unknown_paths_methods_and_ids_answer_spec_errors(client, hotline):
    key = hotline["api_key"]
    spec_error(client.get("/open311/v2/nothing.json"), 404)
    spec_error(client.get("/open311/v2/services"), 404)
    spec_error(client.delete("/open311/v2/services.xml"), 405, "xml")
    spec_error(client.get(f"/open311/v2/requests/not-a-uuid.json?api_key={key}"), 404)
    spec_error(client.get(f"/open311/v2/requests/{uuid.uuid4()}.json?api_key={key}"), 404)
    spec_error(client.get(f"/open311/v2/tokens/nope.xml?api_key={key}"), 404, "xml")
    spec_error(client.get(f"/open311/v2/requests.json?api_key={key}&status=pending"), 400)
    spec_error(client.get(f"/open311/v2/requests.json?api_key={key}&start_date=yesterday"), 400)
    spec_error(client.get(f"/open311/v2/requests.json?api_key={key}&service_request_id=1,2"), 400)
    wide = {"api_key": key, "start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}
    spec_error(client.get("/open311/v2/requests.json", query_string=wide), 400)


def test_json_body_with_nested_attributes_is_accepted_too(client, hotline):
    fields = order(hotline["api_key"])
    body = {k: v for k, v in fields.items() if not k.startswith("attribute")}
    body["attribute"] = {"upstream_id": "GD-JSON-1"}
    response = client.post("/open311/v2/requests.json", json=body)
    assert response.status_code == 201, response.get_json()
    spec_error(client.post("/open311/v2/requests.json", json=[1, 2]), 400)
    spec_error(client.post("/open311/v2/requests.json", json={**body, "description": ["x"]}), 400)


def test_a_client_bound_to_another_street_cannot_place_orders_here(client, admin):
    issued = admin.post("/api/v1/open311/clients", json={"name": "社区热线", "area_code": "330106010002"})
    key = issued.get_json()["api_key"]  # the order's point lies in community 001
    spec_error(client.post("/open311/v2/requests.json", data=order(key)), 400)


def test_the_same_order_arriving_twice_at_once_is_stored_once(app, hotline):
    fields = order(hotline["api_key"], "GD-RACE-1")
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post("/open311/v2/requests.json", data=fields)
        answers.append((response.status_code, response.get_json()[0]["service_request_id"]))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for status, _ in answers) == [200, 201]
    assert len({ident for _, ident in answers}) == 1
    assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 1


def test_oversized_and_malformed_bodies_get_spec_errors(client, hotline):
    huge = {"api_key": hotline["api_key"], "description": "x" * (13 * 1024 * 1024)}
    spec_error(client.post("/open311/v2/requests.json", data=huge), 413)
    broken = client.post("/open311/v2/requests.xml", data=b"{not json", content_type="application/json")
    spec_error(broken, 400, "xml")


def test_nul_characters_anywhere_get_a_spec_400_not_a_database_error(client, hotline):
    key = hotline["api_key"]
    spec_error(client.post("/open311/v2/requests.json", data=order(key, "GD\x00-1")), 400)
    spec_error(client.post("/open311/v2/requests.json", json={**order(key), "description": "a\x00b"}), 400)
    spec_error(client.get(f"/open311/v2/requests.json?api_key={key}&service_code=06%0002"), 400)
    spec_error(client.get(f"/open311/v2/tokens/ab%00cd.xml?api_key={key}"), 400, "xml")
    assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 0
