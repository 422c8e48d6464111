"""The agentic memory pipeline: a meta-agent and six memory agents absorb batches of
observations into the six memory types (see :mod:`agents.memory_agents.absorber`)."""

from agents.memory_agents.absorber import (
    Absorber,
    AbsorbReport,
    BatchProgress,
    BatchReport,
    next_try_at,
    retry_wait_s,
)
from agents.memory_agents.tools import DISPATCH, tools_for

__all__ = [
    "DISPATCH",
    "AbsorbReport",
    "Absorber",
    "BatchProgress",
    "BatchReport",
    "next_try_at",
    "retry_wait_s",
    "tools_for",
]
