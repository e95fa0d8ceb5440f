"""Schema building blocks every domain uses."""

from typing import Any

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


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
