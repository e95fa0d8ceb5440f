"""Schema building blocks every domain uses."""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class PatchModel(BaseModel):
    """A partial update: absent fields stay as they are; null is not a value for any of them."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def refuse_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [name for name, value in data.items() if value is None]
            if nulls:
                raise ValueError(f"fields cannot be set to null: {', '.join(sorted(nulls))}")
        return data
