"""Offline sync: task completions, key place notes and patrol participants from the phone's outbox."""

from datetime import timedelta

from patrol.localtime import today
from patrol.tasks import checklist, joint, keyplaces
from patrol.tasks.schemas import (
    CompletionOp,
    ItemOut,
    KeyPlaceFeature,
    NoteOp,
    NoteOut,
    ParticipantsOp,
    ParticipantsOut,
)


def complete_task_item(user, payload):
    """task.complete: the body of POST /tasks/items/<item_id>/complete plus item_id."""
    data = CompletionOp().load(payload)
    view, created = checklist.complete_item(user, data.pop("item_id"), data)
    return created, ItemOut().dump(view)


def note_key_place(user, payload):
    """keyplace.note: the body of POST /tasks/key-places/<key_place_id>/notes plus key_place_id."""
    data = NoteOp().load(payload)
    note, created = keyplaces.note_key_place(user, data.pop("key_place_id"), data)
    return created, NoteOut().dump(note)


def set_participants(user, payload):
    """patrol.participants: the body of PUT /tasks/patrols/<patrol_id>/participants plus patrol_id."""
    data = ParticipantsOp().load(payload)
    view, changed = joint.set_participants(user, data["patrol_id"], data["participants"])
    return changed, ParticipantsOut().dump(view)


OPERATIONS = {
    "task.complete": complete_task_item,
    "keyplace.note": note_key_place,
    "patrol.participants": set_participants,
}


def pull(user, since):
    """The worker's task items (open, with done ones of the last week so the phone can tick them) and key places.

    Items are few and their done state is also derived from visits and patrols, so every pull carries
    all of them; key places come only when changed after `since`.
    """
    if user.role != "worker":
        return {"task_items": [], "key_places": []}
    items = checklist.item_views(user, due_from=today() - timedelta(days=7))
    places = keyplaces.list_key_places(user, since=since)
    return {
        "task_items": ItemOut(many=True).dump(items),
        "key_places": KeyPlaceFeature(many=True).dump(places),
    }
