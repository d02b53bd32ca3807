"""The component contract, as the controllers in this folder import it.

The contract is not the controllers' own: the scheduler and the kubelet keep it
too, so it lives in cluster/component.py. This module re-exports it so the
controllers read `from cluster.controllers.base import ...` as before.
"""

from __future__ import annotations

from cluster.component import DONE, Component, Controller, Result, split_key

__all__ = ["DONE", "Component", "Controller", "Result", "split_key"]
