import math

from students import codes as upload_codes
from submissions import codes


def test_verification_codes_carry_at_least_60_bits():
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) >= 60
    assert len(set(codes.ALPHABET)) == 32


def test_new_codes_use_only_the_alphabet_and_differ():
    made = {codes.new_verification_code() for _ in range(1000)}
    assert len(made) == 1000
    assert all(len(c) == 12 and set(c) <= set(codes.ALPHABET) for c in made)


def test_normalize_forgives_case_separators_and_confusable_letters():
    assert codes.normalize(" 7kq2 m9xd_3hfp ") == "7KQ2M9XD3HFP"
    assert codes.normalize("7kq2-m9xd-3hfp") == "7KQ2M9XD3HFP"
    assert codes.normalize("OIL0-0000-0000") == "0110" + "0" * 8


def test_normalize_rejects_what_cannot_be_a_code():
    assert codes.normalize("") is None
    assert codes.normalize("7KQ2-M9XD") is None
    assert codes.normalize("UUUU-UUUU-UUUU") is None
    assert codes.normalize(None) is None


def test_display_groups_in_fours():
    assert codes.display("7KQ2M9XD3HFP") == "7KQ2-M9XD-3HFP"


def test_upload_codes_carry_at_least_128_bits():
    code = upload_codes.new_upload_code()
    assert len(code) * 6 >= 128
    assert code.replace("-", "").replace("_", "").isalnum()
