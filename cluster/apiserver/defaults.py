"""Defaulting (upstream's pkg/apis/<group>/v1/defaults.go), the minimal core.

Filled out per kind in this module; each function mutates the object in place.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


def apply(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """Apply upstream's defaults for the object's kind."""
