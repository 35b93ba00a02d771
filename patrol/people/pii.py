"""Putting ID numbers and phones on a Person: validated, encrypted, indexed, masked."""

from sqlalchemy import select

from patrol import messages
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.people import crypto, idcard
from patrol.people.models import Person


def checked_id_number(raw, gender=None, birth_date=None, field="id_number"):
    """The normalised ID number; Invalid if the check digit fails or gender/birth date disagree."""
    try:
        number = idcard.validate(raw)
    except idcard.IdNumberError as exc:
        raise Invalid(str(exc), {field: [str(exc)]}) from None
    if gender is not None and gender != idcard.gender(number):
        raise Invalid("people.gender_mismatch", {"gender": [messages.text("field.mismatch")]})
    if birth_date is not None and birth_date != idcard.birth_date(number):
        raise Invalid("people.birth_date_mismatch", {"birth_date": [messages.text("field.mismatch")]})
    return number


def checked_phone(raw, field="phone"):
    try:
        return idcard.normalize_phone(raw)
    except ValueError as exc:
        raise Invalid(str(exc), {field: [str(exc)]}) from None


def set_id_number(person, number):
    """Encrypt, index and mask the ID number; derive gender and birth date from it."""
    person.id_number_enc = crypto.encrypt(number)
    person.id_number_index = crypto.blind_index(number)
    person.id_number_masked = idcard.mask_id(number)
    person.gender = idcard.gender(number)
    person.birth_date = idcard.birth_date(number)


def set_phone(person, phone):
    if phone is None:
        person.phone_enc = person.phone_index = person.phone_masked = None
        return
    person.phone_enc = crypto.encrypt(phone)
    person.phone_index = crypto.blind_index(phone)
    person.phone_masked = idcard.mask_phone(phone)


def phone_unchanged(person, phone):
    return person.phone_index is not None and person.phone_index in crypto.blind_indexes(phone)


def find_all_by_id_number(number, lock=False):
    """Every person registered under this ID number (one per area at most), by id, under any known key."""
    query = select(Person).where(Person.id_number_index.in_(crypto.blind_indexes(number))).order_by(Person.id)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalars().all()


def find_many_by_id_number(numbers):
    """{ID number: [Person, ...]} for those of `numbers` already registered, in one query."""
    by_index = {}
    for number in numbers:
        for index in crypto.blind_indexes(number):
            by_index[index] = number
    if not by_index:
        return {}
    found = {}
    query = select(Person).where(Person.id_number_index.in_(list(by_index))).order_by(Person.id)
    for person in db.session.execute(query).scalars():
        found.setdefault(by_index[person.id_number_index], []).append(person)
    return found


def revealed(person):
    """The plain ID number and phone (callers audit this)."""
    keys = crypto.all_keys()
    return {
        "id": person.id,
        "name": person.name,
        "id_number": crypto.decrypt(person.id_number_enc, keys),
        "phone": None if person.phone_enc is None else crypto.decrypt(person.phone_enc, keys),
    }


def age_this_year(born, on_day):
    """The age reached in the year of `on_day`: from the birth year only, so it never reveals the birthday."""
    return on_day.year - born.year


def rotate_keys(batch_size=500):
    """Re-encrypt and re-index every person not yet under the current key; returns how many."""
    key = crypto.current_key()
    keys = crypto.all_keys()
    done = 0
    while True:
        people = (
            db.session.execute(
                select(Person)
                .where(
                    ~Person.id_number_enc.startswith(key.kid + ":")
                    | (Person.phone_enc.isnot(None) & ~Person.phone_enc.startswith(key.kid + ":"))
                )
                .order_by(Person.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        if not people:
            return done
        for person in people:
            number = crypto.decrypt(person.id_number_enc, keys)
            person.id_number_enc = crypto.encrypt(number, key)
            person.id_number_index = crypto.blind_index(number, key)
            if person.phone_enc is not None:
                phone = crypto.decrypt(person.phone_enc, keys)
                person.phone_enc = crypto.encrypt(phone, key)
                person.phone_index = crypto.blind_index(phone, key)
        db.session.commit()
        done += len(people)
