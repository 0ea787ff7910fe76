"""What every input-file model shares: unknown keys are errors, and models are immutable once loaded."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", min_length=1, max_length=64)
]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
