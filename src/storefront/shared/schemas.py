"""Schema building blocks every domain uses."""

from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


@dataclass(frozen=True)
class WholeNumber:
    """Pydantic annotation for counts and money: `Annotated[int, WholeNumber(ge=0, le=9)]`.

    JSON integers, and numbers without a fraction (JSON Schema counts 391.0 as an
    integer too); never 9.99, "999" or true.
    """

    ge: int
    le: int

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            self._refuse_text_and_booleans, core_schema.int_schema(ge=self.ge, le=self.le)
        )

    @staticmethod
    def _refuse_text_and_booleans(value: Any) -> Any:
        if isinstance(value, str | bool):
            raise PydanticCustomError(
                "int_type", "Input should be a JSON number without a fraction"
            )
        return value


def drop_null(schema: dict[str, Any]) -> None:
    """Turn a JSON schema `{"anyOf": [X, {"type": "null"}], ...}` into `{...X, ...}`, in place."""
    variants = [v for v in schema.get("anyOf", []) if v != {"type": "null"}]
    if len(variants) < len(schema.get("anyOf", [])):
        del schema["anyOf"]
        schema.pop("default", None)
        schema.update(variants[0] if len(variants) == 1 else {"anyOf": variants})


class PatchModel(BaseModel):
    """A partial update: absent fields stay as they are; null is not a value for any of them."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Fields are typed `X | None` only so that "absent" has a value; null itself
        # is refused, so the document must not offer it.
        json_schema = handler(schema)
        for field in handler.resolve_ref_schema(json_schema).get("properties", {}).values():
            drop_null(field)
        return json_schema

    @model_validator(mode="before")
    @classmethod
    def refuse_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [name for name, value in data.items() if value is None]
            if nulls:
                raise ValueError(f"fields cannot be set to null: {', '.join(sorted(nulls))}")
        return data
