"""Validation (upstream's pkg/apis/<group>/validation), the minimal core."""
from __future__ import annotations

from cluster.apiserver.resources import ResourceType


def check_schema(rt: ResourceType, obj: dict, field_validation: str) -> None:
    """Reject unknown fields and wrong types as fieldValidation=Strict does."""


def validate(rt: ResourceType, obj: dict, old: dict | None) -> list[dict]:
    """Every field error of the object (and of the change, when `old` is given)."""
    return []
