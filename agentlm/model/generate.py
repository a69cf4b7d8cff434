"""Decoding over `model.generate`: greedy, sampling (temperature, top-k, top-p), beam search,
repetition penalty, stop strings, n samples in one batched call, batched prompts and streaming.
Samples of a single prompt skip `model.generate`: `shared_prefix` encodes the prompt once and drops
finished paths from the batch.

    texts = generate(model, tokenizer, [{"role": "user", "content": "Hi"}], strategy="sample", n=4, seed=0)
    for piece in stream(model, tokenizer, "Once upon a time", stop=["\\n\\n"]):
        print(piece, end="")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from agentlm.model.constrained import Constraint, GrammarLogitsProcessor, grammar_processor
from agentlm.model.shared_prefix import sample_shared_prefix, supports_shared_prefix
from agentlm.model.soft_prompt import generate_after_prefix, prompt_learning_tokens

Prompt = str | list[dict]
STRATEGIES = ("greedy", "sample", "beam")
STOP_TOKENS = ("<|end|>", "<|endoftext|>")  # also end generation when the vocabulary has them


@dataclass
class DecodingConfig:
    """How to decode; invalid combinations raise ValueError when the config is built."""

    max_new_tokens: int = 128
    strategy: str = "greedy"  # "greedy" | "sample" | "beam"
    temperature: float = 1.0
    top_k: int = 0  # 0 = off
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    num_beams: int = 4  # used by "beam"
    n: int = 1  # completions per prompt, all from one batched generate call
    stop: list[str] = field(default_factory=list)  # output is cut before the first stop string
    seed: int | None = None

    def __post_init__(self) -> None:
        self.stop = [self.stop] if isinstance(self.stop, str) else list(self.stop)
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0 or (self.temperature == 0 and self.strategy == "sample"):
            raise ValueError(
                f"temperature must be > 0 for sampling (use strategy='greedy' for 0), got {self.temperature}"
            )
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 = off), got {self.top_k}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0 (1.0 = off), got {self.repetition_penalty}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.strategy == "greedy" and self.n > 1:
            raise ValueError("greedy decoding has one answer: use strategy='sample' or 'beam' for n > 1")
        if self.strategy == "beam" and not 1 <= self.n <= self.num_beams:
            raise ValueError(
                f"beam search returns at most num_beams={self.num_beams} sequences, asked n={self.n}"
            )
        if any(not s for s in self.stop):
            raise ValueError("stop strings must be non-empty")


@dataclass
class GenerationStats:
    """Token counts and wall time of one `generate_batch` call; `finished` marks the rows that ended on
    their own (all True unless `stop_when` cut the call short)."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finished: list[bool] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: Prompt,
    config: DecodingConfig | None = None,
    constraint: Constraint | None = None,
    **overrides,
) -> list[str]:
    """Return `config.n` completions of one prompt (a string, or chat messages), stop strings removed.

    A `constraint` (agentlm.model.constrained) keeps tool calls valid against their schemas, or the reply JSON.
    """
    if isinstance(prompt, list) and not all(isinstance(m, dict) for m in prompt):
        raise TypeError(
            "prompt must be a string or a list of chat messages; use generate_batch for many prompts"
        )
    texts, _ = generate_batch(model, tokenizer, [prompt], config, constraints=[constraint], **overrides)
    return texts[0]


def generate_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[Prompt],
    config: DecodingConfig | None = None,
    stop_when: Callable[[list[str]], bool] | None = None,
    constraints: list[Constraint | None] | None = None,
    **overrides,
) -> tuple[list[list[str]], GenerationStats]:
    """Complete many prompts in one left-padded batch: `config.n` completions per prompt, and stats.

    `stop_when(finished_texts)` is asked each time rows finish; when it returns True the whole call stops
    (e.g. self-consistency once the vote is settled). `stats.finished` then says which rows are complete.
    `constraints` holds one `Constraint` (or None) per prompt.
    """
    config = _resolve(config, overrides)
    stop_ids = _stop_token_ids(model, tokenizer)
    input_ids, attention_mask = _encode(tokenizer, prompts, _pad_id(tokenizer, stop_ids))
    grammar = _grammar(model, tokenizer, stop_ids, config, constraints, len(prompts))
    if config.strategy == "sample" and len(prompts) == 1 and supports_shared_prefix(model):
        return _sample_one_prompt(model, tokenizer, input_ids, config, stop_ids, stop_when, grammar)
    kwargs = _generate_kwargs(config, tokenizer, stop_ids, grammar)
    settled = None
    if stop_when is not None:
        settled = _Settled(stop_when, tokenizer, stop_ids, input_ids.shape[1] + prompt_learning_tokens(model),
                           config.stop)
        kwargs["stopping_criteria"] = StoppingCriteriaList([settled])
    start = time.perf_counter()
    output = _run_generate(model, input_ids, attention_mask, kwargs, config.seed)
    seconds = time.perf_counter() - start

    texts, completion_tokens = _texts_and_count(output[:, input_ids.shape[1] :].tolist(), tokenizer, stop_ids,
                                                config.stop)
    finished = [settled is None or not settled.fired or i in settled.done for i in range(len(texts))]
    grouped = [texts[i : i + config.n] for i in range(0, len(texts), config.n)]
    stats = GenerationStats(int(attention_mask.sum()), completion_tokens, seconds, finished)
    return grouped, stats


def stream(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: Prompt,
    config: DecodingConfig | None = None,
    constraint: Constraint | None = None,
    **overrides,
) -> Iterator[str]:
    """Yield the completion as text pieces while it is generated; the pieces join to `generate()`'s text."""
    config = _resolve(config, overrides)
    if config.n != 1:
        raise ValueError("stream() yields one completion: n must be 1")
    if config.strategy == "beam":
        raise ValueError("stream() cannot stream beam search (transformers does not support it)")
    stop_ids = _stop_token_ids(model, tokenizer)
    input_ids, attention_mask = _encode(tokenizer, [prompt], _pad_id(tokenizer, stop_ids))
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    cancelled = threading.Event()
    grammar = _grammar(model, tokenizer, stop_ids, config, [constraint], 1)
    kwargs = _generate_kwargs(config, tokenizer, stop_ids, grammar)
    kwargs.update(streamer=streamer, stopping_criteria=StoppingCriteriaList([_Cancelled(cancelled)]))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _run_generate(model, input_ids, attention_mask, kwargs, config.seed)
        except BaseException as err:  # re-raised in the caller's thread below
            errors.append(err)
            streamer.end()

    thread = threading.Thread(target=run, name="agentlm-generate", daemon=True)
    thread.start()
    try:
        yield from _until_stop(streamer, config.stop)
    finally:  # also when the caller stops iterating early
        cancelled.set()
        thread.join()
    if errors:
        raise errors[0]


def _sample_one_prompt(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, input_ids: torch.Tensor,
                       config: DecodingConfig, stop_ids: list[int],
                       stop_when: Callable[[list[str]], bool] | None, grammar: GrammarLogitsProcessor | None = None
                       ) -> tuple[list[list[str]], GenerationStats]:
    """`config.n` samples of one prompt: one prefill, and a batch that shrinks as paths end."""

    def decode(ids: list[int]) -> str:
        return tokenizer.decode(ids, skip_special_tokens=True)

    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]) if config.seed is not None else nullcontext():
        if config.seed is not None:
            torch.manual_seed(config.seed)
        rows, finished = sample_shared_prefix(
            model, input_ids, config.n, config.max_new_tokens,
            NucleusWarper(config.temperature, config.top_k, config.top_p), stop_ids, decode, config.stop,
            config.repetition_penalty, stop_when, grammar)
    seconds = time.perf_counter() - start
    texts, completion_tokens = _texts_and_count(rows, tokenizer, stop_ids, config.stop)
    return [texts], GenerationStats(input_ids.shape[1], completion_tokens, seconds, finished)


def _texts_and_count(rows: list[list[int]], tokenizer: PreTrainedTokenizerBase, stop_ids: list[int],
                     stop: list[str]) -> tuple[list[str], int]:
    """Each row's text up to its first stop token, cut before stop strings; and the completion tokens
    (a row's stop token counted too)."""
    texts, completion_tokens = [], 0
    for row in rows:
        end = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
        completion_tokens += min(end + 1, len(row))
        texts.append(_cut_at_stop(tokenizer.decode(row[:end], skip_special_tokens=True), stop))
    return texts, completion_tokens


def _resolve(config: DecodingConfig | None, overrides: dict) -> DecodingConfig:
    config = config or DecodingConfig()
    return replace(config, **overrides) if overrides else config


def _render(tokenizer: PreTrainedTokenizerBase, prompt: Prompt) -> str:
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)


def _encode(
    tokenizer: PreTrainedTokenizerBase, prompts: list[Prompt], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokenize and left-pad prompts; chat templates already hold their special tokens."""
    if not prompts:
        raise ValueError("no prompts given")
    rows = [
        tokenizer(_render(tokenizer, p), add_special_tokens=isinstance(p, str))["input_ids"] for p in prompts
    ]
    if any(not row for row in rows):
        raise ValueError("a prompt is empty after tokenization")
    width = max(len(row) for row in rows)
    input_ids = torch.tensor([[pad_id] * (width - len(row)) + row for row in rows])
    attention_mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in rows])
    return input_ids, attention_mask


def _stop_token_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The tokenizer's and model's eos ids, plus `<|end|>` and `<|endoftext|>` when in the vocabulary."""
    ids = [tokenizer.eos_token_id]
    model_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids += model_eos if isinstance(model_eos, list) else [model_eos]
    vocab = tokenizer.get_vocab()
    ids += [vocab.get(token) for token in STOP_TOKENS]
    return list(dict.fromkeys(i for i in ids if i is not None))


def _pad_id(tokenizer: PreTrainedTokenizerBase, stop_ids: list[int]) -> int:
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    return stop_ids[0] if stop_ids else 0


def _grammar(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, stop_ids: list[int], config: DecodingConfig,
             constraints: list[Constraint | None] | None, prompts: int) -> GrammarLogitsProcessor | None:
    """The processor that enforces the prompts' constraints, or None when there are none."""
    if not constraints or not any(constraints):
        return None
    if len(constraints) != prompts:
        raise ValueError(f"constraints must hold one entry per prompt: {len(constraints)} for {prompts} prompts")
    if config.strategy == "beam":
        raise ValueError("constrained decoding works with greedy decoding or sampling, not beam search")
    vocab_size = model.get_output_embeddings().weight.shape[0]
    return grammar_processor(tokenizer, vocab_size, stop_ids, constraints, config.n, config.max_new_tokens)


def _generate_kwargs(config: DecodingConfig, tokenizer: PreTrainedTokenizerBase, stop_ids: list[int],
                     grammar: GrammarLogitsProcessor | None = None) -> dict:
    """Translate a DecodingConfig into `model.generate` arguments, every one explicit."""
    kwargs = dict(
        max_new_tokens=config.max_new_tokens,
        repetition_penalty=config.repetition_penalty,
        num_return_sequences=config.n,
        eos_token_id=stop_ids or None,
        pad_token_id=_pad_id(tokenizer, stop_ids),
        use_cache=True,  # checkpoints saved by training may say use_cache=false: decoding is ~2.4x slower without
    )
    if config.strategy == "sample":  # transformers' own warpers off (it would default top_k to 50): ours instead
        kwargs.update(
            do_sample=True,
            num_beams=1,
            temperature=1.0,
            top_k=0,
            top_p=1.0,
            logits_processor=LogitsProcessorList([NucleusWarper(config.temperature, config.top_k, config.top_p)]),
        )
    elif config.strategy == "beam":
        kwargs.update(do_sample=False, num_beams=config.num_beams)
    else:
        kwargs.update(do_sample=False, num_beams=1)
    if grammar is not None:  # the mask first, so sampling renormalises over the allowed tokens
        kwargs["logits_processor"] = LogitsProcessorList([grammar, *kwargs.get("logits_processor", [])])
    if config.stop:
        kwargs.update(stop_strings=config.stop, tokenizer=tokenizer)
    return kwargs


def _run_generate(
    model: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    kwargs: dict,
    seed: int | None,
) -> torch.Tensor:
    """Call `model.generate` (through the adapter's virtual-token cache for prompt and prefix tuning); a seed gives
    reproducible sampling without touching the global RNG."""
    input_ids, attention_mask = input_ids.to(model.device), attention_mask.to(model.device)

    def run() -> torch.Tensor:
        output = generate_after_prefix(model, input_ids, attention_mask, kwargs)
        return output if output is not None else model.generate(input_ids=input_ids, attention_mask=attention_mask,
                                                                **kwargs)

    if seed is None:
        return run()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return run()


def _cut_at_stop(text: str, stop: list[str]) -> str:
    hits = [i for i in (text.find(s) for s in stop) if i >= 0]
    return text[: min(hits)] if hits else text


def _until_stop(pieces: Iterable[str], stop: list[str]) -> Iterator[str]:
    """Pass text pieces through, ending before the first stop string.

    The last `len(longest stop) - 1` characters are held back until we know no stop string starts there.
    """
    keep = max((len(s) for s in stop), default=1) - 1
    pending = ""
    for piece in pieces:
        pending += piece
        cut = _cut_at_stop(pending, stop)
        if len(cut) < len(pending):
            if cut:
                yield cut
            return
        if len(pending) > keep:
            yield pending[: len(pending) - keep]
            pending = pending[len(pending) - keep :]
    if pending:
        yield pending


class NucleusWarper(LogitsProcessor):
    """Temperature, top-k and top-p in one step, the same tokens kept as transformers' three warpers.

    Top-p first looks among the `candidates` most likely tokens and sorts the whole vocabulary only for rows
    whose nucleus is larger: with n sampled paths of a small model, sorting n x vocabulary scores at every step
    was a quarter of the decoding time.
    """

    def __init__(self, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, candidates: int = 256) -> None:
        self.temperature, self.top_k, self.top_p, self.candidates = temperature, top_k, top_p, candidates

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.temperature != 1.0:
            scores = scores / self.temperature
        vocab = scores.shape[-1]
        if 0 < self.top_k < vocab:  # keep every token scoring at least the k-th best (ties kept)
            kth = torch.topk(scores, self.top_k, dim=-1).values[..., -1:]
            scores = scores.masked_fill(scores < kth, -float("inf"))
        if self.top_p >= 1.0:
            return scores
        all_probs = scores.softmax(-1)
        top = torch.topk(scores, min(vocab, self.candidates), dim=-1)
        probs = all_probs.gather(-1, top.indices)
        if top.indices.shape[-1] < vocab and bool((probs.sum(-1) < self.top_p).any()):
            top = torch.topk(scores, vocab, dim=-1)  # a nucleus wider than the candidates: sort everything
            probs = all_probs.gather(-1, top.indices)
        before = probs.cumsum(-1) - probs  # mass of the strictly more likely tokens
        keep = before < self.top_p
        keep[..., 0] = True
        mask = torch.ones_like(scores, dtype=torch.bool).scatter(-1, top.indices, ~keep)
        return scores.masked_fill(mask, -float("inf"))


class _Settled(StoppingCriteria):
    """Stops the whole batch once `stop_when` says the finished rows settle the question."""

    def __init__(self, stop_when: Callable[[list[str]], bool], tokenizer: PreTrainedTokenizerBase,
                 stop_ids: list[int], prompt_width: int, stop: list[str]) -> None:
        self.stop_when, self.tokenizer, self.stop_ids = stop_when, tokenizer, set(stop_ids)
        self.prompt_width, self.stop = prompt_width, stop
        self.done: dict[int, str] = {}  # row -> its finished text
        self.fired = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        new = False
        for row in range(input_ids.shape[0]):
            if row not in self.done and int(input_ids[row, -1]) in self.stop_ids:
                tokens = input_ids[row, self.prompt_width:-1].tolist()
                end = next((i for i, t in enumerate(tokens) if t in self.stop_ids), len(tokens))
                self.done[row] = _cut_at_stop(self.tokenizer.decode(tokens[:end], skip_special_tokens=True),
                                              self.stop)
                new = True
        if new and len(self.done) < input_ids.shape[0] and self.stop_when(list(self.done.values())):
            self.fired = True
        return torch.full((input_ids.shape[0],), self.fired, dtype=torch.bool, device=input_ids.device)


class _Cancelled(StoppingCriteria):
    """Stops generation once the event is set (the stream's reader went away)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        return torch.full(
            (input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device
        )
