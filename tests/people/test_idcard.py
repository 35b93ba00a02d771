from datetime import date

import pytest

from patrol.people import crypto, idcard


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_published_examples_pass_the_check_digit(number):
    assert idcard.validate(number) == number.upper()


@pytest.mark.parametrize(
    "number, reason",
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18"),
        ("99010519491231002X", "地区码"),
        ("110105194913310028", "出生日期"),
        ("110105209912310021", "出生日期"),
        ("1101051949123100AX", "18"),
    ],
)
def test_bad_numbers_say_why(number, reason):
    with pytest.raises(idcard.IdNumberError, match=reason):
        idcard.validate(number)


def test_gender_birth_date_and_masks():
    assert idcard.gender("11010519491231002X") == "F"
    assert idcard.gender("440524188001010014") == "M"
    assert idcard.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert idcard.mask_id("110101199003071234") == "110101***********4"
    assert idcard.mask_phone("13812345678") == "138****5678"
    assert idcard.mask_phone("0571-88886666") == "057******6666"
    assert idcard.normalize_phone("138 1234 5678") == "13812345678"
    with pytest.raises(ValueError):
        idcard.normalize_phone("12345")


def test_ciphertext_carries_key_id_and_old_keys_still_decrypt(app):
    old, new = crypto.generate_key(), crypto.generate_key()
    saved = {k: app.config.get(k) for k in ("PII_KEY", "PII_OLD_KEYS")}
    with app.test_request_context():
        app.config.update(PII_KEY=old, PII_OLD_KEYS="")
        token = crypto.encrypt("11010519491231002X")
        old_index = crypto.blind_index("11010519491231002X")
        assert token.startswith(crypto.PiiKey(old).kid + ":")
        assert "11010519491231002X" not in token
        assert crypto.encrypt("11010519491231002X") != token  # fresh nonce every time
        app.config.update(PII_KEY=new, PII_OLD_KEYS=old)
        assert crypto.decrypt(token) == "11010519491231002X"
        assert old_index in crypto.blind_indexes("11010519491231002X")
        app.config.update(PII_KEY=new, PII_OLD_KEYS="")
        with pytest.raises(crypto.PiiKeyError):
            crypto.decrypt(token)
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        app.config.update(PII_OLD_KEYS=old)
        with pytest.raises(crypto.PiiKeyError):
            crypto.decrypt(tampered)
    app.config.update(saved)
