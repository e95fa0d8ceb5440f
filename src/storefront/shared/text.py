"""Text from outside: the one type every free-text field uses, and the one email form.

PostgreSQL cannot store U+0000, so a NUL that reached a query was a 500; a limit
checked before a value was normalised let the normalised value outgrow its column.
`Text` settles both for every field that uses it, and a test walks every route to
make sure every string input does.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

EMAIL_MAX_LENGTH = 320
# Line breaks and tabs, which multi-line text (descriptions, notes) may hold.
_LAYOUT_CHARACTERS = frozenset("\n\r\t")
# The same rules as JSON Schema (ECMA 262) character classes: Unicode's control
# characters (category Cc) are U+0000-U+001F and U+007F-U+009F.
_SINGLE_LINE_CLASS = "[^\\u0000-\\u001f\\u007f-\\u009f]"
_MULTILINE_CLASS = "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]"


@dataclass(frozen=True)
class Text:
    """Pydantic annotation for text from outside: `Annotated[str, Text(max_length=200)]`.

    The value is NFC-normalised (then `normalize`d), stripped of surrounding white
    space unless `strip=False`, and its length is checked after all of that. NUL is
    always refused; other control characters too, except line breaks and tabs in
    `multiline` text.
    """

    max_length: int
    min_length: int = 0
    multiline: bool = False
    strip: bool = True
    normalize: Callable[[str], str] | None = None

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.clean, core_schema.str_schema())

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema: JsonSchemaValue = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            json_schema["minLength"] = self.min_length
        # The document says what is refused: control characters (but the layout
        # ones in multi-line text), and, where some text is required, blank text.
        allowed = _MULTILINE_CLASS if self.multiline else _SINGLE_LINE_CLASS
        if self.min_length and self.strip:
            json_schema["pattern"] = f"^{allowed}*[^\\s{allowed[2:-1]}]{allowed}*$"
        else:
            json_schema["pattern"] = f"^{allowed}*$"
        return json_schema

    def clean(self, value: str) -> str:
        if "\x00" in value:
            raise PydanticCustomError("text_nul", "Text must not contain NUL (U+0000) characters")
        value = unicodedata.normalize("NFC", value)
        if self.normalize is not None:
            value = self.normalize(value)
        if self.strip:
            value = value.strip()
        allowed = _LAYOUT_CHARACTERS if self.multiline else frozenset()
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
            raise PydanticCustomError(
                "text_control_character", "Text must not contain control characters"
            )
        if len(value) > self.max_length:
            raise PydanticCustomError(
                "text_too_long",
                "Text must have at most {max_length} characters (after normalisation)",
                {"max_length": self.max_length},
            )
        if len(value) < self.min_length:
            raise PydanticCustomError(
                "text_too_short",
                "Text must have at least {min_length} characters",
                {"min_length": self.min_length},
            )
        return value


def fold_email(text: str) -> str:
    """Emails compare without case: the one case folding, for addresses and prefixes alike."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).strip().lower())


def normalize_email(text: str) -> str:
    """The form an email is stored and compared in; ValueError when it is no address.

    Python and PostgreSQL lower-case some letters differently (İ), so the database
    never folds case: the stored form is this one, compared exactly.
    """
    try:
        address = validate_email(fold_email(text), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return fold_email(address.normalized)


def _email(text: str) -> str:
    try:
        return normalize_email(text)
    except ValueError as exc:
        raise PydanticCustomError(
            "value_error", "Not an email address: {reason}", {"reason": str(exc)}
        ) from None


# Types for fields; a new field picks one of these (or `Text` itself).
Email = Annotated[str, Text(max_length=EMAIL_MAX_LENGTH, min_length=3, normalize=_email)]


def _email_or_text(text: str) -> str:
    try:
        return normalize_email(text)
    except ValueError:
        return fold_email(text)  # matches no account, but still counts as a failed login


# A login form's username: an address normalised exactly as registration stores it;
# any other text is accepted too (it simply matches no account).
EmailLike = Annotated[
    str, Text(max_length=EMAIL_MAX_LENGTH, min_length=1, normalize=_email_or_text)
]
