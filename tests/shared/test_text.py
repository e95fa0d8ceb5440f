from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from storefront.shared.text import Email, Text, fold_email, normalize_email

Name = TypeAdapter(Annotated[str, Text(min_length=1, max_length=5)])
Note = TypeAdapter(Annotated[str, Text(max_length=20, multiline=True)])
Secret = TypeAdapter(Annotated[str, Text(max_length=20, strip=False)])
Emails = TypeAdapter(Email)


def error_type(adapter: TypeAdapter[str], value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    return str(caught.value.errors()[0]["type"])


@pytest.mark.parametrize("adapter", [Name, Note, Secret, Emails])
def test_nul_is_refused_by_every_kind_of_text(adapter: TypeAdapter[str]) -> None:
    assert error_type(adapter, "a\x00b") == "text_nul"


def test_single_line_text_refuses_control_characters_multiline_keeps_line_breaks() -> None:
    assert error_type(Name, "a\nb") == "text_control_character"
    assert error_type(Note, "bell\x07") == "text_control_character"
    assert Note.validate_python("line one\n\tline two") == "line one\n\tline two"


def test_text_is_nfc_normalised_and_stripped_unless_told_not_to() -> None:
    assert Name.validate_python("  Cafe\u0301 ") == "Café"
    assert Secret.validate_python(" pass ") == " pass "


def test_lengths_are_counted_after_normalisation() -> None:
    assert Name.validate_python("    abcde    ") == "abcde"
    assert error_type(Name, "   ") == "text_too_short"
    # U+0344 is one code point that NFC turns into two.
    assert error_type(Name, "abcd\u0344") == "text_too_long"


def test_emails_are_normalised_once_into_the_stored_form() -> None:
    assert Emails.validate_python(" Grace.Hopper@Example.COM ") == "grace.hopper@example.com"
    # Python and PostgreSQL lower-case İ differently; the stored form is Python's, once.
    assert Emails.validate_python("İnci@example.com") == "i\u0307nci@example.com"
    assert error_type(Emails, "not an address") == "value_error"


def test_an_email_that_outgrows_its_column_when_folded_is_refused() -> None:
    # 'İ' folds to two code points, so this is 640 characters once normalised.
    assert (
        error_type(
            TypeAdapter(Annotated[str, Text(max_length=320, normalize=fold_email)]), "İ" * 320
        )
        == "text_too_long"
    )


@given(st.emails())
def test_normalising_an_email_is_idempotent(address: str) -> None:
    normalized = normalize_email(address)

    assert normalize_email(normalized) == normalized
    if address.isascii():
        assert normalize_email(address.upper()) == normalized


@pytest.mark.parametrize(
    "rules",
    [Text(max_length=30), Text(min_length=1, max_length=30), Text(max_length=30, multiline=True)],
    ids=["single-line", "required", "multi-line"],
)
@given(data=st.data())
def test_text_the_published_pattern_allows_is_accepted(rules: Text, data: st.DataObject) -> None:
    adapter = TypeAdapter(Annotated[str, rules])
    pattern = adapter.json_schema()["pattern"]
    value = data.draw(st.from_regex(pattern, fullmatch=True).filter(lambda v: len(v) <= 30))

    adapter.validate_python(value)
