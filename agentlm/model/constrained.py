"""Grammar-constrained decoding (xgrammar): tool calls that always parse and match their schema, and JSON mode.

A `Constraint` says what one reply must look like. With `tools`, the reply is free text until the model
writes `<tool_call>`; from there it can only name a listed tool and give arguments that match that tool's
JSON schema, then `</tool_call>` (the same structural tags vLLM and SGLang use for function calling). With
`json_schema`, the whole reply is one JSON value: `True` for any object (OpenAI's `json_object`), or a
schema (OpenAI's `json_schema`). The model still chooses: the grammar only removes the tokens that would
make the reply invalid.

    c = Constraint.for_tools([calculator_schema])
    texts, _ = generate_batch(model, tokenizer, [prompt], constraints=[c])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import torch
from transformers import LogitsProcessor, PreTrainedTokenizerBase

from agentlm.model.protocol import TOOL_CALL_CLOSE, TOOL_CALL_OPEN

SEPARATORS = (", ", ": ")  # how our chat template writes JSON; the model learned this spelling


@dataclass(frozen=True)
class Constraint:
    """What one reply must look like; `prefix` is reply text already in the prompt (a tool_choice prefill)."""

    tools: tuple[str, ...] = ()          # OpenAI tool schemas as JSON strings (hashable; see `for_tools`)
    json_schema: bool | str = False      # True: any JSON object; a JSON-schema string: that schema
    prefix: str = ""

    @classmethod
    def for_tools(cls, tools: list[dict[str, Any]], prefix: str = "") -> Constraint:
        return cls(tools=tuple(json.dumps(t, ensure_ascii=False) for t in tools), prefix=prefix)  # key order kept

    @classmethod
    def for_json(cls, schema: dict[str, Any] | None = None) -> Constraint:
        return cls(json_schema=json.dumps(schema, ensure_ascii=False) if schema else True)  # key order kept

    def __post_init__(self) -> None:
        if self.tools and self.json_schema:
            raise ValueError("a reply is either free text with tool calls or JSON: pass tools or json_schema")


@cache
def _compiler(tokenizer: PreTrainedTokenizerBase, vocab_size: int, stop_ids: tuple[int, ...]):
    """One xgrammar compiler (with its grammar cache) per tokenizer, vocabulary size and stop ids."""
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=list(stop_ids))
    return xgr.GrammarCompiler(info)


SAFE_INTEGER = 2**53 - 1  # JSON's safe integers: an integer without bounds cannot run on forever


def _bounded(schema: Any) -> Any:
    """The schema with every unbounded integer limited to JSON's safe range (small models otherwise keep
    writing digits when the token they wanted is not allowed)."""
    if isinstance(schema, list):
        return [_bounded(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _bounded(v) for k, v in schema.items()}
    if out.get("type") == "integer":
        if "minimum" not in out and "exclusiveMinimum" not in out:
            out["minimum"] = -SAFE_INTEGER
        if "maximum" not in out and "exclusiveMaximum" not in out:
            out["maximum"] = SAFE_INTEGER
    return out


def _schema_grammar(schema: dict[str, Any]) -> str:
    import xgrammar as xgr

    return str(xgr.Grammar.from_json_schema(json.dumps(_bounded(schema)), any_whitespace=False,
                                            separators=SEPARATORS))


def _tool_name_and_parameters(tool: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    spec = tool.get("function", tool)
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"a tool schema needs a function name: {json.dumps(tool)[:200]}")
    return spec["name"], spec.get("parameters") or {"type": "object"}


def response_format_constraint(response_format: dict[str, Any] | None) -> Constraint | None:
    """OpenAI's `response_format` as a constraint: `text` (None), `json_object`, or `json_schema`."""
    kind = (response_format or {}).get("type", "text")
    if kind == "text":
        return None
    if kind == "json_object":
        return Constraint.for_json()
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ValueError("response_format json_schema needs json_schema.schema, a JSON-schema object")
        return Constraint.for_json(schema)
    raise ValueError(f"response_format type must be text, json_object or json_schema, got {kind!r}")


def compile_constraint(constraint: Constraint, tokenizer: PreTrainedTokenizerBase, vocab_size: int,
                       stop_ids: list[int]):
    """The xgrammar CompiledGrammar of a constraint, for this tokenizer (cached); ValueError if it cannot be."""
    try:
        return _compile(constraint, tokenizer, vocab_size, tuple(stop_ids))
    except ValueError:
        raise
    except Exception as err:  # xgrammar's errors for schemas it cannot turn into a grammar
        raise ValueError(f"cannot build a grammar for this schema: {err}") from err


@lru_cache(maxsize=256)
def _compile(constraint: Constraint, tokenizer: PreTrainedTokenizerBase, vocab_size: int, stop_ids: tuple[int, ...]):
    compiler = _compiler(tokenizer, vocab_size, stop_ids)
    if constraint.json_schema:
        schema = {"type": "object"} if constraint.json_schema is True else json.loads(constraint.json_schema)
        return compiler.compile_grammar(_schema_grammar(schema))
    tags = []
    for tool in map(json.loads, constraint.tools):
        name, parameters = _tool_name_and_parameters(tool)
        tags.append({"type": "tag", "begin": f'{TOOL_CALL_OPEN}{{"name": {json.dumps(name, ensure_ascii=False)}, '
                                             f'"arguments": ',
                     "content": {"type": "grammar", "grammar": _schema_grammar(parameters)},
                     "end": f"}}{TOOL_CALL_CLOSE}"})
    tag = {"type": "structural_tag",
           "format": {"type": "triggered_tags", "triggers": [TOOL_CALL_OPEN], "tags": tags}}
    return compiler.compile_structural_tag(json.dumps(tag, ensure_ascii=False))


class GrammarLogitsProcessor(LogitsProcessor):
    """Mask, row by row, the tokens a row's grammar forbids; rows without a grammar are left alone.

    `grammars` holds one entry per generated row (prompts x completions). Single use: one per generate call.
    """

    def __init__(self, grammars: list[Any | None], prefixes: list[str]) -> None:
        import xgrammar as xgr

        self.xgr = xgr
        self.matchers: list[Any | None] = []
        for grammar, prefix in zip(grammars, prefixes, strict=True):
            matcher = xgr.GrammarMatcher(grammar) if grammar is not None else None
            if matcher is not None and prefix and not matcher.accept_string(prefix):
                raise ValueError(f"the reply's prefill {prefix!r} does not fit its grammar")
            self.matchers.append(matcher)
        self.vocab_size = next(g.tokenizer_info.vocab_size for g in grammars if g is not None)
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), self.vocab_size)
        self.started = False

    def accept(self, row: int, token: int) -> None:
        """Feed row `row` the token it just chose."""
        matcher = self.matchers[row]
        if matcher is not None and not matcher.is_terminated() and not matcher.accept_token(token):
            self.matchers[row] = None  # cannot happen with masked logits; never crash a whole batch on it

    def mask(self, scores: torch.FloatTensor, rows: list[int] | range) -> torch.FloatTensor:
        """Mask, in place, scores whose j-th line belongs to row `rows[j]`."""
        self.xgr.reset_token_bitmask(self.bitmask)  # rows without a live grammar: everything allowed
        for j, row in enumerate(rows):
            matcher = self.matchers[row]
            if matcher is not None and not matcher.is_terminated():
                matcher.fill_next_token_bitmask(self.bitmask, j)
        self.xgr.apply_token_bitmask_inplace(scores, self.bitmask[: len(rows)],
                                             vocab_size=min(self.vocab_size, scores.shape[-1]))
        return scores

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != len(self.matchers):
            raise RuntimeError(f"{input_ids.shape[0]} rows but {len(self.matchers)} grammars")
        if self.started:  # transformers calls us before each step: the last column holds the chosen tokens
            for row, token in enumerate(input_ids[:, -1].tolist()):
                self.accept(row, token)
        self.started = True
        return self.mask(scores, range(len(self.matchers)))


def grammar_processor(tokenizer: PreTrainedTokenizerBase, vocab_size: int, stop_ids: list[int],
                      constraints: list[Constraint | None], n: int = 1) -> GrammarLogitsProcessor | None:
    """The logits processor enforcing `constraints` (one per prompt, `n` rows each), or None if there are none."""
    if not any(constraints):
        return None
    grammars, prefixes = [], []
    for c in constraints:  # compile_constraint is cached: a repeated constraint is compiled once
        grammars += [compile_constraint(c, tokenizer, vocab_size, stop_ids) if c is not None else None] * n
        prefixes += [c.prefix if c is not None else ""] * n
    return GrammarLogitsProcessor(grammars, prefixes)
