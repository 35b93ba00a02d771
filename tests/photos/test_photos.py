"""Photo upload: cleaning, limits, content addressing and who may see a photo."""

import io
import uuid

from PIL import Image

from tests.conftest import assert_error_shape
from tests.incidents.helpers import jpeg_bytes, report_body, setup_departments, upload


def jpeg_with_gps():
    image = Image.new("RGB", (300, 200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (30.0, 17.0, 12.5)
    gps[3] = "E"
    gps[4] = (120.0, 7.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_exif_and_gps_are_gone_and_orientation_applied(demo, login, app):
    worker = login("demo-worker")
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test image does carry GPS
    response = upload(worker, original)
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    assert (photo["width"], photo["height"]) == (200, 300)  # rotated upright
    stored = worker.get(f"/api/v1/photos/{photo['id']}")
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    data = stored.get_data()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert b"Exif" not in data and b"PhoneMaker" not in data
    import hashlib

    assert hashlib.sha256(data).hexdigest() == photo["id"]


def test_retried_upload_returns_the_same_id(demo, login):
    worker = login("demo-worker")
    data = jpeg_bytes((800, 600))
    first = upload(worker, data).get_json()
    second = upload(worker, data)
    assert second.status_code == 201
    assert second.get_json()["id"] == first["id"]


def test_large_photo_is_resized_with_a_thumbnail(demo, login):
    worker = login("demo-worker")
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (0, 200, 0)).save(out, "PNG")
    photo = upload(worker, out.getvalue(), "wide.png").get_json()
    assert (photo["width"], photo["height"]) == (2048, 512)
    thumb = worker.get(f"/api/v1/photos/{photo['id']}?size=thumb")
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.get_data())).size == (320, 80)


def test_webp_and_transparent_png_are_accepted(demo, login):
    worker = login("demo-worker")
    for fmt, mode in (("WEBP", "RGB"), ("PNG", "RGBA")):
        out = io.BytesIO()
        Image.new(mode, (50, 50)).save(out, fmt)
        assert upload(worker, out.getvalue(), f"x.{fmt.lower()}").status_code == 201


def test_decompression_bomb_is_refused(demo, login):
    worker = login("demo-worker")
    out = io.BytesIO()
    side = 9000  # a few KB of PNG that would decode to 81 MP
    Image.new("1", (side, side)).save(out, "PNG")
    assert len(out.getvalue()) < 2 * 1024 * 1024
    body = assert_error_shape(upload(worker, out.getvalue(), "bomb.png"), 422)
    assert "file" in body["errors"]


def test_twenty_megabytes_is_refused(demo, login):
    worker = login("demo-worker")
    assert_error_shape(upload(worker, b"\xff\xd8" + b"0" * (20 * 1024 * 1024)), 413)


def test_eleven_megabytes_is_refused_in_the_service(demo, login):
    worker = login("demo-worker")
    assert_error_shape(upload(worker, b"\xff\xd8" + b"0" * (int(10.5 * 1024 * 1024))), 413)


def test_not_an_image_is_refused(demo, login):
    worker = login("demo-worker")
    assert_error_shape(upload(worker, b"%PDF-1.4 not an image at all", "doc.pdf"), 422)
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "GIF")
    assert_error_shape(upload(worker, out.getvalue(), "x.gif"), 422)
    assert_error_shape(worker.post("/api/v1/photos", data={}, content_type="multipart/form-data"), 422)
    assert_error_shape(upload(worker, b"", "empty.jpg"), 422)


def test_photo_ids_cannot_traverse_paths(demo, login):
    worker = login("demo-worker")
    for bad in ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "A" * 64, "0" * 63):
        response = worker.get(f"/api/v1/photos/{bad}")
        assert response.status_code == 404, bad


def test_only_uploader_and_viewers_of_a_using_record_see_a_photo(demo, login):
    setup_departments()
    worker = login("demo-worker")
    photo_id = upload(worker, jpeg_bytes()).get_json()["id"]
    other_worker = login("demo-worker5")
    assert_error_shape(other_worker.get(f"/api/v1/photos/{photo_id}"), 403)
    assert_error_shape(other_worker.get(f"/api/v1/photos/{'0' * 64}"), 404)
    department = login("dept-chengguan")
    assert_error_shape(department.get(f"/api/v1/photos/{photo_id}"), 403)
    # another worker may not attach a photo they did not upload
    stolen = other_worker.post("/api/v1/incidents", json=report_body("330106010002001", photo_ids=[photo_id]))
    assert_error_shape(stolen, 422)
    incident = worker.post("/api/v1/incidents", json=report_body(photo_ids=[photo_id])).get_json()
    assert incident["photo_ids"] == [photo_id]
    street = login("demo-street")
    assert street.get(f"/api/v1/photos/{photo_id}?size=thumb").status_code == 200
    community3 = login("demo-worker9")
    assert_error_shape(community3.get(f"/api/v1/photos/{photo_id}"), 403)
    for action in ("accept", "dispatch"):
        assert street.post(f"/api/v1/incidents/{incident['id']}/actions", json={"action": action}).status_code == 200
    assert department.get(f"/api/v1/photos/{photo_id}").status_code == 200


def test_unknown_photo_ids_are_named(demo, login):
    setup_departments()
    worker = login("demo-worker")
    missing = "ab" * 32
    body = assert_error_shape(worker.post("/api/v1/incidents", json=report_body(photo_ids=[missing])), 422)
    assert missing in str(body["errors"])
    assert_error_shape(worker.post("/api/v1/incidents", json=report_body(photo_ids=["../x"])), 422)
    assert worker.get("/api/v1/incidents?limit=5").get_json()["items"] == []
    assert uuid.UUID(report_body()["id"])


def test_wrong_upload_shapes_are_refused(demo, login):
    worker = login("demo-worker")
    assert_error_shape(worker.post("/api/v1/photos", json={"file": "aGVsbG8="}), 422)
    boundary = "b"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="x.jpg"\r\n\r\n'.encode()
        + jpeg_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = worker.post("/api/v1/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert_error_shape(response, 422)


def _one_bit_png(width, height):
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_small_png_of_forty_megapixels_is_refused_from_its_header(demo, login):
    worker = login("demo-worker")
    data = _one_bit_png(8000, 5000)  # exactly 40 MP in about 5 KB: decoding it would cost seconds of CPU
    assert len(data) < 20 * 1024
    body = assert_error_shape(upload(worker, data, "bomb.png"), 422)  # refused from the header, not decoded
    assert "file" in body["errors"]


def test_large_jpeg_is_accepted_and_stored_downscaled(demo, login):
    worker = login("demo-worker")
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (40, 90, 160)).save(out, "JPEG", quality=70)  # a 48 MP phone photo
    response = upload(worker, out.getvalue(), "big.jpg")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    assert (photo["width"], photo["height"]) == (2048, 1536)
