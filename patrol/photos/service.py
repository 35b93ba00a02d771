"""Storing photos safely and deciding who may see them."""

import hashlib
import io

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from patrol import messages
from patrol.auth.scope import visible_grid_ids
from patrol.errors import Forbidden, Invalid, NotFound, PayloadTooLarge
from patrol.extensions import db
from patrol.photos.models import Photo, PhotoUploader, PhotoUse
from patrol.photos.storage import PHOTO_ID, photo_store

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048
THUMB_SIDE = 320
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: JPEG with a depth map, from some phones
JPEG_FORMATS = {"JPEG", "MPO"}  # decoded at 1/2, 1/4 or 1/8 scale (Image.draft): cheap however large
JPEG_QUALITY = 85

Image.MAX_IMAGE_PIXELS = None  # checked in _decode from the header, against the settings, before decoding

# Other features say "a department user may see photos of records dispatched to them" here:
# each hook is fn(user) -> SQL select of photo_use.id the user may see, or None.
VISIBILITY_HOOKS = []


def _refuse_not_image(reason):
    return Invalid("photo.not_an_image", {"file": [reason]})


def _read_limited(file_storage):
    data = file_storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge("photo.too_large", {"file": [messages.text("field.larger_than_10_mb")]})
    if not data:
        raise _refuse_not_image("empty file")
    return data


def _pixel_limit(image_format):
    """JPEGs decode at reduced scale, so they may be larger; PNG and WebP decode every pixel."""
    setting = "PHOTO_MAX_MEGAPIXELS" if image_format in JPEG_FORMATS else "PHOTO_MAX_FULL_DECODE_MEGAPIXELS"
    return int(current_app.config[setting] * 1_000_000)


def _refuse_bomb(limit):
    return Invalid(
        "photo.image_too_many_pixels",
        {"file": [f"more than {limit} pixels"]},
    )


def _decode(data):
    """Open the image, refuse by the header's pixel count, then decode (JPEGs at reduced scale)."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED_FORMATS:
            raise _refuse_not_image(f"format {image.format} is not accepted")
        limit = _pixel_limit(image.format)
        if image.width * image.height > limit:
            raise _refuse_bomb(limit)
        if image.format in JPEG_FORMATS:
            image.draft(None, (MAX_SIDE, MAX_SIDE))  # the smallest scale still at least MAX_SIDE wide or high
        image.load()
    except Image.DecompressionBombError:
        raise _refuse_bomb(_pixel_limit(None)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse_not_image(str(exc)[:200]) from None
    return image


def _flatten(image):
    """Orientation applied, EXIF and every other metadata dropped, RGB on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image, side):
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= argument: nothing carried over
    return out.getvalue(), copy.size


def store_photo_bytes(user, data):
    """Decode, clean, resize and store; return the photo as a dict. Commits."""
    try:
        image = _flatten(_decode(data))
    except (OSError, ValueError) as exc:  # exotic modes (16-bit, LAB) that cannot become RGB
        raise _refuse_not_image(str(exc)[:200]) from None
    full, (width, height) = _jpeg(image, MAX_SIDE)
    thumb, _ = _jpeg(image, THUMB_SIDE)
    photo_id = hashlib.sha256(full).hexdigest()
    store = photo_store()
    store.put(photo_id, "full", full)
    store.put(photo_id, "thumb", thumb)
    db.session.execute(
        insert(Photo)
        .values(
            id=photo_id,
            uploaded_by=user.id,
            content_type="image/jpeg",
            width=width,
            height=height,
            size_bytes=len(full),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    db.session.execute(insert(PhotoUploader).values(photo_id=photo_id, user_id=user.id).on_conflict_do_nothing())
    db.session.commit()
    return photo_dict(db.session.get(Photo, photo_id))


def store_photo(user, file_storage):
    """POST /photos: a multipart file -> stored photo dict (id = SHA-256 of the stored bytes)."""
    if file_storage is None:
        raise Invalid("photo.file_required", {"file": [messages.text("field.required")]})
    try:
        data = _read_limited(file_storage)
    finally:
        file_storage.close()
    return store_photo_bytes(user, data)


def photo_dict(photo):
    return {
        "id": photo.id,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "size_bytes": photo.size_bytes,
        "url": f"/api/v1/photos/{photo.id}",
        "thumb_url": f"/api/v1/photos/{photo.id}?size=thumb",
        "created_at": photo.created_at,
    }


def _check_ids(photo_ids):
    bad = [pid for pid in photo_ids if not isinstance(pid, str) or not PHOTO_ID.match(pid)]
    if bad:
        raise Invalid("photo.malformed_photo_ids", {"photo_ids": [f"not a photo id: {b!r}" for b in bad]})


def attach_photos(user, photo_ids, record_type, record_id, grid_id):
    """Record that a record uses photos the user uploaded (or already sees); the caller commits."""
    photo_ids = list(dict.fromkeys(photo_ids or []))
    if not photo_ids:
        return []
    _check_ids(photo_ids)
    usable = set(db.session.execute(select(Photo.id).where(Photo.id.in_(photo_ids))).scalars())
    usable &= {pid for pid in usable if may_use(user, pid)}
    unknown = [pid for pid in photo_ids if pid not in usable]
    if unknown:
        raise Invalid(
            "photo.unknown_or_not_yours",
            {"photo_ids": [f"unknown photo {pid}" for pid in unknown]},
        )
    db.session.execute(
        insert(PhotoUse)
        .values(
            [
                {
                    "photo_id": pid,
                    "record_type": record_type,
                    "record_id": str(record_id),
                    "grid_id": grid_id,
                    "used_by": user.id,
                }
                for pid in photo_ids
            ]
        )
        .on_conflict_do_nothing(constraint="uq_photo_use")
    )
    return photo_ids


def may_use(user, photo_id):
    """The user uploaded the photo or may already see a record that uses it."""
    uploaded = db.session.execute(
        select(PhotoUploader.user_id).where(PhotoUploader.photo_id == photo_id, PhotoUploader.user_id == user.id)
    ).first()
    return uploaded is not None or _visible_use(user, photo_id)


def _visible_use(user, photo_id):
    """A record using the photo is visible: by grid for area roles; a department only by the hooks (its cases)."""
    if user.role != "department":
        in_scope = select(PhotoUse.id).where(
            PhotoUse.photo_id == photo_id, PhotoUse.grid_id.in_(visible_grid_ids(user))
        )
        if db.session.execute(in_scope.limit(1)).first():
            return True
    for hook in VISIBILITY_HOOKS:
        visible = hook(user)
        if visible is None:
            continue
        query = select(PhotoUse.id).where(PhotoUse.photo_id == photo_id, PhotoUse.id.in_(visible))
        if db.session.execute(query.limit(1)).first():
            return True
    return False


def read_photo(user, photo_id, size="full"):
    """The photo's bytes, if the user may see it; 404 when unknown, 403 when not theirs."""
    if not PHOTO_ID.match(photo_id):
        raise NotFound("photo.no_such_photo")
    if db.session.get(Photo, photo_id) is None:
        raise NotFound("photo.no_such_photo")
    if not may_use(user, photo_id):
        raise Forbidden("photo.not_visible")
    data = photo_store().read(photo_id, size)
    if data is None:
        raise NotFound("photo.file_missing")
    return data


def photos_of(record_type, record_id):
    """Photo ids used by a record, in the order they were attached."""
    return list(
        db.session.execute(
            select(PhotoUse.photo_id)
            .where(PhotoUse.record_type == record_type, PhotoUse.record_id == str(record_id))
            .order_by(PhotoUse.id)
        ).scalars()
    )
