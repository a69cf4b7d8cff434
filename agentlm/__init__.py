"""AgentLM: build, adapt, use, evaluate and serve your own small language model."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names loaded on first use, so `import agentlm` stays light (no torch): name -> module.
_LAZY = {"tool": "agentlm.plugins", "Tool": "agentlm.plugins", "Agent": "agentlm.agent", "AgentResult": "agentlm.agent"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agentlm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
