"""Few-shot in-context learning: worked examples chosen by embedding similarity to the question.

The example pool is the project's own training-split skill data (`agentlm.data.synth`): single-turn
examples without tools, in both languages, embedded once per process with the retrieval embedder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.runtime import Runtime

from agentlm.runtime.state import AgentState, RunContext
from agentlm.runtime.strategies.common import call_model, prompt, text_of

Embed = Callable[[list[str]], np.ndarray]
COT_FAMILIES = ("math_cot",)


@dataclass
class FewShotExample:
    question: str
    answer: str
    family: str
    lang: str


class ExamplePool:
    """Examples plus their embeddings; `nearest` returns the k most similar in the question's language."""

    def __init__(self, examples: list[FewShotExample], embed: Embed) -> None:
        if not examples:
            raise ValueError("the few-shot example pool is empty")
        self.examples, self.embed = examples, embed
        self.vectors = np.asarray(embed([e.question for e in examples]), dtype=np.float32)

    @classmethod
    def from_skill_data(cls, embed: Embed, n: int = 600, seed: int = 0, max_chars: int = 360) -> ExamplePool:
        """Single-turn, tool-free examples from the synthetic training split."""
        from agentlm.data.synth.build import generate

        pool = []
        for ex in generate("train", n, seed=seed):
            turns = [m for m in ex.messages if m["role"] != "system"]
            if ex.tools or len(turns) != 2 or turns[0]["role"] != "user" or turns[1].get("tool_calls"):
                continue
            q, a = str(turns[0]["content"]), str(turns[1]["content"])
            if len(q) + len(a) <= max_chars:
                pool.append(FewShotExample(q, a, ex.family, ex.lang))
        return cls(pool, embed)

    def nearest(self, question: str, k: int, lang: str, families: tuple[str, ...] | None = None
                ) -> list[FewShotExample]:
        query = np.asarray(self.embed([question]), dtype=np.float32)[0]
        scores = self.vectors @ query
        ranked = [i for i in np.argsort(-scores) if self.examples[i].lang == lang
                  and (families is None or self.examples[i].family in families)
                  and self.examples[i].question != question]
        return [self.examples[i] for i in ranked[:k]]


_POOL_LOCK = threading.Lock()
_DEFAULT_POOL: ExamplePool | None = None


def default_pool() -> ExamplePool:
    """The pool built from skill data with the default embedding model (built once per process)."""
    global _DEFAULT_POOL
    with _POOL_LOCK:
        if _DEFAULT_POOL is None:
            from agentlm.retrieval.embeddings import load_embedder

            embedder = load_embedder()
            _DEFAULT_POOL = ExamplePool.from_skill_data(embedder.encode)
        return _DEFAULT_POOL


def with_examples(ctx: RunContext, state: AgentState, messages: list[AnyMessage], cot_only: bool = False
                  ) -> tuple[list[AnyMessage], list[dict[str, str]]]:
    """Insert the k nearest examples as earlier user/assistant turns before the question."""
    if ctx.examples is None:
        ctx.examples = default_pool()
    chosen = ctx.examples.nearest(state["question"], ctx.few_shot_k, state["lang"],
                                  COT_FAMILIES if cot_only else None)
    shots: list[AnyMessage] = []
    for ex in chosen:
        shots += [HumanMessage(ex.question), AIMessage(ex.answer)]
    head = [m for m in messages[:-1] if m.type == "system"]
    rest = [m for m in messages if m.type != "system"]
    return [*head, *shots, *rest], [{"question": e.question, "answer": e.answer} for e in chosen]


def few_shot(state: AgentState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    messages, chosen = with_examples(ctx, state, prompt(state, ctx))
    reply, update = call_model(ctx, state, messages, "few_shot")
    update["steps"][-1]["examples"] = chosen
    return {**update, "answer": text_of(reply).strip()}
