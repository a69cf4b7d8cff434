"""Grammar-constrained decoding (xgrammar): tool calls that always parse and match their schema, and JSON mode.

A `Constraint` says what one reply must look like. With `tools`, the reply is free text until the model
writes `<tool_call>`; from there it can only name a listed tool and give arguments that match that tool's
JSON schema, then `</tool_call>` (the same structural tags vLLM and SGLang use for function calling). With
`json_schema`, the whole reply is one JSON value: `True` for any object (OpenAI's `json_object`), or a
schema (OpenAI's `json_schema`). The model still chooses: the grammar only removes the tokens that would
make the reply invalid.

Given the token budget (`max_new_tokens`), a structure still open in the budget's last tokens is closed rather
than cut: there, among the tokens the grammar allows, a string keeps only those that end it (`"`, `"}`, ...),
and outside strings only closing brackets are kept, else separators (`, `), else a quote (a required key or a
string value that the next token ends). A reply that repeats itself inside a string, a list or a number then
still parses; free text before a tool call (where the grammar allows a line break) is never touched.

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


CLOSE_TOKENS = 16         # tokens kept at the end of the budget to close what is open ...
CLOSE_TOKENS_PER_KEY = 8  # ... and to write each required key the reply may still lack, as `, "key": ""`

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


def _packed(ids: list[int], vocab_size: int) -> torch.Tensor:
    """Token ids as one row of an xgrammar bitmask (int32 words, bit i of word w = token 32 * w + i)."""
    words = (vocab_size + 31) // 32
    bits = torch.zeros(words * 32, dtype=torch.int64)
    bits[ids] = 1
    packed = (bits.view(words, 32) << torch.arange(32)).sum(1)
    return torch.where(packed >= 2**31, packed - 2**32, packed).to(torch.int32)


@dataclass(frozen=True)
class ClosingMasks:
    """Bitmask rows (see `_packed`) of the token kinds used to close structures before the budget runs out."""

    texts: tuple[str, ...]    # each token's text, to follow how deep a reply is nested
    newline: torch.Tensor     # a line break: allowed in free text, never inside JSON (strings included)
    has_newline: bool         # whether the tokenizer has a line-break token at all
    ordinary: torch.Tensor    # every token of the tokenizer: free text allows them all
    in_string: torch.Tensor   # single letters no JSON literal starts with: allowed only inside a string
    end_string: torch.Tensor  # a quote, then only closing brackets: `"`, `"}`, `"]}`
    brackets: torch.Tensor    # only closing brackets: `}`, `]`, `}}`
    separators: torch.Tensor  # only commas, colons and spaces: `, `, `: `


@cache
def closing_masks(tokenizer: PreTrainedTokenizerBase, vocab_size: int) -> ClosingMasks:
    """The token kinds of `ClosingMasks` for this tokenizer."""
    texts = {i: tokenizer.decode([i]) for i in range(min(vocab_size, len(tokenizer)))}

    def kind(test) -> torch.Tensor:
        return _packed([i for i, t in texts.items() if t and test(t)], vocab_size)

    newline = kind(lambda t: t == "\n")
    return ClosingMasks(texts=tuple(texts.values()), newline=newline, has_newline=bool(newline.any()),
                        ordinary=kind(lambda t: True),
                        in_string=kind(lambda t: len(t) == 1 and t in "abcdghijklmopqrsuvwxyz"),
                        end_string=kind(lambda t: t[0] == '"' and set(t[1:]) <= set("]}")),
                        brackets=kind(lambda t: set(t) <= set("]}")),
                        separators=kind(lambda t: set(t) <= set(",: ")))


class Nesting:
    """How many brackets a JSON text has open (those inside strings do not count), fed piece by piece."""

    def __init__(self) -> None:
        self.depth, self.in_string, self.escaped = 0, False, False

    def feed(self, text: str) -> None:
        for ch in text:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
            elif ch == '"':
                self.in_string = True
            elif ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth = max(0, self.depth - 1)


class GrammarLogitsProcessor(LogitsProcessor):
    """Mask, row by row, the tokens a row's grammar forbids; rows without a grammar are left alone.

    `grammars` holds one entry per generated row (prompts x completions). Single use: one per generate call.
    With the `closing` masks (`closing_masks`) and, per row, the step `close_from` at which its reserve begins
    (`closing_reserve`; one step earlier per open bracket), structures still open from then on are closed: see
    the module docstring.
    """

    def __init__(self, grammars: list[Any | None], prefixes: list[str], closing: ClosingMasks | None = None,
                 close_from: list[int | None] | None = None) -> None:
        import xgrammar as xgr

        self.xgr = xgr
        self.step = 0
        self.closing = closing
        self.close_from = close_from if closing is not None and close_from else [None] * len(grammars)
        self.nesting = [Nesting() for _ in grammars]
        self.structured = [False] * len(grammars)  # the row's last token was masked by its grammar
        self.matchers: list[Any | None] = []
        for grammar, prefix in zip(grammars, prefixes, strict=True):
            matcher = xgr.GrammarMatcher(grammar) if grammar is not None else None
            if matcher is not None and prefix and not matcher.accept_string(prefix):
                raise ValueError(f"the reply's prefill {prefix!r} does not fit its grammar")
            self.nesting[len(self.matchers)].feed(prefix)
            self.matchers.append(matcher)
        self.vocab_size = next(g.tokenizer_info.vocab_size for g in grammars if g is not None)
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), self.vocab_size)
        self.started = False

    def accept(self, row: int, token: int) -> None:
        """Feed row `row` the token it just chose."""
        matcher = self.matchers[row]
        if matcher is not None and not matcher.is_terminated() and not matcher.accept_token(token):
            self.matchers[row] = None  # cannot happen with masked logits; never crash a whole batch on it
        if self.structured[row] and token < len(self.closing.texts):
            self.nesting[row].feed(self.closing.texts[token])

    def mask(self, scores: torch.FloatTensor, rows: list[int] | range) -> torch.FloatTensor:
        """Mask, in place, scores whose j-th line belongs to row `rows[j]`."""
        self.xgr.reset_token_bitmask(self.bitmask)  # rows without a live grammar: everything allowed
        for j, row in enumerate(rows):
            matcher = self.matchers[row]
            if matcher is not None and not matcher.is_terminated():
                matcher.fill_next_token_bitmask(self.bitmask, j)
                if (close_from := self.close_from[row]) is None:
                    continue
                self.structured[row] = not self._free_text(j)
                if self.structured[row] and self.step >= close_from - self.nesting[row].depth:
                    self._close(j)
        self.xgr.apply_token_bitmask_inplace(scores, self.bitmask[: len(rows)],
                                             vocab_size=min(self.vocab_size, scores.shape[-1]))
        self.step += 1
        return scores

    def _free_text(self, j: int) -> bool:
        """Whether line `j` of the bitmask is free text (before a tool call): a line break is allowed, or, for a
        tokenizer without one, every token is (the model may have more embedding rows than tokens)."""
        allowed, masks = self.bitmask[j], self.closing
        if masks.has_newline:
            return bool((allowed & masks.newline).any())
        return bool(((allowed & masks.ordinary) == masks.ordinary).all())

    def _close(self, j: int) -> None:
        """Narrow line `j` of the bitmask to tokens that close what is open."""
        allowed, masks = self.bitmask[j], self.closing
        inside = bool((allowed & masks.in_string).any())
        for keep in (masks.end_string,) if inside else (masks.brackets, masks.separators, masks.end_string):
            narrowed = allowed & keep
            if bool(narrowed.any()):
                self.bitmask[j] = narrowed
                return

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != len(self.matchers):
            raise RuntimeError(f"{input_ids.shape[0]} rows but {len(self.matchers)} grammars")
        if self.started:  # transformers calls us before each step: the last column holds the chosen tokens
            for row, token in enumerate(input_ids[:, -1].tolist()):
                self.accept(row, token)
        self.started = True
        return self.mask(scores, range(len(self.matchers)))


def grammar_processor(tokenizer: PreTrainedTokenizerBase, vocab_size: int, stop_ids: list[int],
                      constraints: list[Constraint | None], n: int = 1, max_new_tokens: int | None = None
                      ) -> GrammarLogitsProcessor | None:
    """The logits processor enforcing `constraints` (one per prompt, `n` rows each), or None if there are none;
    with `max_new_tokens`, it closes open structures before the budget runs out."""
    if not any(constraints):
        return None
    grammars, prefixes = [], []
    for c in constraints:  # compile_constraint is cached: a repeated constraint is compiled once
        grammars += [compile_constraint(c, tokenizer, vocab_size, stop_ids) if c is not None else None] * n
        prefixes += [c.prefix if c is not None else ""] * n
    if not max_new_tokens:
        return GrammarLogitsProcessor(grammars, prefixes)
    close_from = [max_new_tokens - closing_reserve(c, max_new_tokens) if c is not None else None
                  for c in constraints for _ in range(n)]
    return GrammarLogitsProcessor(grammars, prefixes, closing_masks(tokenizer, vocab_size), close_from)


def closing_reserve(constraint: Constraint, max_new_tokens: int) -> int:
    """How many of the budget's last tokens are kept to close a reply's open structure (at most half the budget):
    `CLOSE_TOKENS`, and `CLOSE_TOKENS_PER_KEY` for each required key of the schema (of the tool with the most)."""
    if constraint.json_schema:
        schemas = [{} if constraint.json_schema is True else json.loads(constraint.json_schema)]
    else:
        schemas = [_tool_name_and_parameters(json.loads(t))[1] for t in constraint.tools]
    keys = max((len(s.get("required") or []) for s in schemas), default=0)
    return min(CLOSE_TOKENS + CLOSE_TOKENS_PER_KEY * keys, max_new_tokens // 2)
