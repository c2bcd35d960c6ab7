"""The base of every event: a frozen, versioned payload whose key is its aggregate's id."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def key(self) -> str:
        raise NotImplementedError

    @classmethod
    def dataschema(cls) -> str:
        return f"urn:cascade:event:{cls.TYPE}:v{cls.VERSION}"
