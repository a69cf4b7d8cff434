"""The model under evaluation: one chat model (any `load_chat_model` spec), agents over it, its weights and speed.

    model = load_eval_model("agentlm-small")     # or "smollm2", "runs/smollm2-lora", a .gguf, an http URL
    agent = model.agent(max_tokens=64, tools=None)
    print(measure_speed(model))                   # {"tokens_per_second": ..., "output_tokens": ..., ...}

Every suite talks to the model through `agentlm.Agent`, as a user would; the language-modelling suite also
needs the weights (`model.weights()`), which only local models have.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agentlm.agent import Agent
from agentlm.runtime.models import DEFAULT_MODEL_DIR, load_chat_model

ALIASES = {"agentlm-small": str(DEFAULT_MODEL_DIR)}
SPEED_PROMPTS = ("Write a short story about a robot who learns to paint.",
                 "Explain how a bicycle works.",
                 "Describe your favourite city and why you like it.",
                 "请介绍一下你自己。")


@dataclass
class EvalModel:
    """A named chat model to evaluate."""

    name: str
    spec: str
    chat: BaseChatModel

    def limited(self, max_tokens: int) -> BaseChatModel:
        """The chat model with replies capped at `max_tokens` (local weights are shared, not reloaded)."""
        if "max_tokens" in type(self.chat).model_fields:
            return self.chat.model_copy(update={"max_tokens": max_tokens})
        return self.chat

    def agent(self, max_tokens: int = 128, **kwargs: Any) -> Agent:
        """An `Agent` over the model (kwargs go to `Agent`: tools, index, strategy, ...)."""
        return Agent(self.limited(max_tokens), **kwargs)

    def weights(self) -> tuple[Any, Any] | None:
        """(model, tokenizer) of a local model, None for a served one."""
        load = getattr(self.chat, "load", None)
        return load() if callable(load) else None


def ask(agent: Agent, question: str, **settings: Any) -> dict[str, Any]:
    """One agent run as a plain dict (`AgentResult.to_dict()`); a run that fails scores as an empty answer and
    records the error (e.g. a prompt longer than a small model's context), so one item cannot stop a suite."""
    try:
        return agent.run(question, **settings).to_dict()
    except (ValueError, RuntimeError) as err:
        return {"answer": "", "strategy": settings.get("strategy", ""), "steps": [], "tool_calls": [], "sources": [],
                "votes": None, "seconds": 0.0, "error": f"{type(err).__name__}: {err}"}


def model_name(spec: str) -> str:
    """A short display name: the alias, "smollm2", or the directory / file name."""
    if spec in ALIASES or spec.lower() == "smollm2" or spec.startswith(("http://", "https://")):
        return spec
    return Path(spec).stem if spec.endswith(".gguf") else Path(spec).name


def load_eval_model(spec: str | None = None) -> EvalModel:
    """A model from a spec: "agentlm-small" (the shipped model; also the default), "smollm2", a dir, a .gguf, a URL."""
    spec = spec or "agentlm-small"
    chat = load_chat_model(ALIASES.get(spec, spec))
    return EvalModel(model_name(spec), spec, chat)


def measure_speed(model: EvalModel, prompts: tuple[str, ...] = SPEED_PROMPTS, max_tokens: int = 64) -> dict[str, Any]:
    """Greedy generation throughput through the chat model: output tokens / wall seconds, one request at a time.

    One warm-up call is not counted. Wall time includes reading the prompt, so this is what a user waits for.
    """
    chat = model.limited(max_tokens)
    chat.invoke(prompts[0])
    tokens, seconds = 0, 0.0
    for prompt in prompts:
        started = time.perf_counter()
        reply = chat.invoke(prompt)
        seconds += time.perf_counter() - started
        tokens += (reply.usage_metadata or {}).get("output_tokens", 0)
    return {"tokens_per_second": round(tokens / seconds, 1) if seconds else 0.0, "output_tokens": tokens,
            "seconds": round(seconds, 2), "prompts": len(prompts), "max_tokens": max_tokens}
