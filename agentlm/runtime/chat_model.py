"""`LocalChatModel`: a langchain chat model over a local causal LM (our model dirs, any HF dir, or a GGUF file).

    model = LocalChatModel(model_path="models/agentlm-small")
    reply = model.bind_tools([calculator_schema]).invoke("Find the value of (82 + 30) * 25.")
    reply.tool_calls  # [{"name": "calculator", "args": {"expression": ...}, "id": "call_…", ...}]

Prompts are rendered by the model's own chat template; replies are read with `agentlm.model.protocol.parse_reply`:
valid calls become `tool_calls`, broken ones `invalid_tool_calls` (`args` holds the call as the model wrote it,
`<tool_call>…</tool_call>`, and `error` says what is wrong), `<think>` text goes to
`additional_kwargs["reasoning_content"]`. The helpers below (tool and message conversion, reply parsing, stream
reading) are shared with `OpenAIChatModel`.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from agentlm.model.constrained import Constraint, response_format_constraint
from agentlm.model.generate import DecodingConfig, generate_batch, stream
from agentlm.model.loading import load_model
from agentlm.model.protocol import ToolCallError, parse_reply, parse_tool_call
from agentlm.runtime.tool_selection import pending_request, select_tools

TOOLS_SYSTEM = (
    "You can call these tools. To call one, write "
    '<tool_call>{{"name": "<tool name>", "arguments": {{<JSON arguments>}}}}</tool_call>.\n<tools>\n{tools}</tools>'
)
_TAGS = ("<think>", "</think>", "<tool_call>")
_NAME_RE = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)+)"')

# ---------------------------------------------------------------- shared helpers (also used by OpenAIChatModel)


class ContextLengthError(ValueError):
    """The prompt does not fit the model's context window."""


def new_call_id() -> str:
    """A fresh tool-call id in OpenAI's style."""
    return f"call_{uuid.uuid4().hex[:24]}"


def to_openai_tool(tool: Any) -> dict[str, Any]:
    """An OpenAI tool schema from a schema dict, a langchain tool, a function, or an object with `.schema()`."""
    if isinstance(tool, dict):
        if tool.get("type") == "function" and isinstance(tool.get("function"), dict):
            return tool
        return convert_to_openai_tool(tool)
    if isinstance(tool, (BaseTool, type)):
        return convert_to_openai_tool(tool)
    schema = getattr(tool, "schema", None)
    if callable(schema):  # plugin Tool objects expose their OpenAI schema this way
        spec = schema()
        if isinstance(spec, dict):
            return to_openai_tool(spec)
    if callable(tool):
        return convert_to_openai_tool(tool)
    raise TypeError(f"Cannot turn {tool!r} into a tool schema: pass a dict, a langchain tool, a function, "
                    "or an object with a .schema() method")


def normalize_tool_choice(choice: Any, tools: Sequence[dict[str, Any]]) -> str | dict[str, Any] | None:
    """OpenAI's form of a tool choice: None (auto), "none", "required" or {"type": "function", ...}."""
    if choice in (None, "auto", False):
        return None
    if choice == "none":
        return "none"
    names = [t["function"]["name"] for t in tools]
    if not names:
        raise ValueError(f"tool_choice={choice!r} needs tools: bind some with bind_tools")
    if choice in ("any", "required", True):
        return "required"
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
    elif isinstance(choice, str):
        name = choice
    else:
        raise TypeError(f"tool_choice must be a string or a dict, got {choice!r}")
    if name not in names:
        raise ValueError(f"tool_choice {name!r} is not one of the bound tools {names}")
    return {"type": "function", "function": {"name": name}}


# Control tokens of the chat protocol: turn markers (`<|user|>`) and protocol tags (`<tool_call>`, `<think>`, ...).
_CONTROL_TOKEN_RE = re.compile(r"<(?=\|[A-Za-z_]+\|>|/?(?:tool_call|tool_result|tools|think)>)")


def defuse_control_tokens(text: str) -> str:
    """Break control tokens in untrusted text (a zero-width joiner after `<`), so the tokenizer reads
    `<|system|>`, `<tool_call>` or `<think>` in a user message, tool result or retrieved document as plain text
    instead of the tokens that open a turn, a tool call or reasoning."""
    return _CONTROL_TOKEN_RE.sub("<\u200d", text)


def to_chat_messages(messages: Sequence[BaseMessage], *, reasoning: bool = True) -> list[dict[str, Any]]:
    """OpenAI-style message dicts (string content) as chat templates and OpenAI servers expect them.

    Assistant turns keep their `tool_calls` (arguments as JSON strings) and, with `reasoning`, their
    `reasoning_content`. Invalid calls are kept too: protocol text (`<tool_call>…`) is appended to the content,
    anything else becomes a tool call with its raw arguments, so a later tool message still has its call.
    """
    out = []
    for message in messages:
        chat = convert_to_openai_messages(message, text_format="string")
        chat["content"] = chat.get("content") or ""
        if not isinstance(message, AIMessage):  # user, system, tool text may quote documents: no forged turns
            chat["content"] = defuse_control_tokens(chat["content"])
        if isinstance(message, AIMessage):
            if reasoning and message.additional_kwargs.get("reasoning_content"):
                chat["reasoning_content"] = message.additional_kwargs["reasoning_content"]
            for call in message.invalid_tool_calls:
                raw = call.get("args") or ""
                if raw.startswith("<tool_call>"):
                    chat["content"] = "\n".join(part for part in (chat["content"], raw) if part)
                else:
                    chat.setdefault("tool_calls", []).append({
                        "type": "function", "id": call.get("id") or new_call_id(),
                        "function": {"name": call.get("name") or "", "arguments": raw},
                    })
        out.append(chat)
    return out


def parse_message(text: str) -> AIMessage:
    """An AIMessage from reply text in the AgentLM protocol (reasoning, content, tool calls)."""
    reply = parse_reply(text)
    calls = [tool_call(name=c.name, args=c.arguments, id=new_call_id()) for c in reply.tool_calls]
    invalid = [
        invalid_tool_call(name=_guess_name(e.raw), args=f"<tool_call>{e.raw}</tool_call>", id=new_call_id(),
                          error=e.error)
        for e in reply.errors
    ]
    extra = {"reasoning_content": reply.reasoning} if reply.reasoning else {}
    return AIMessage(content=reply.content, additional_kwargs=extra, tool_calls=calls, invalid_tool_calls=invalid)


def parse_arguments(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Tool-call arguments (a JSON string, a dict or nothing) as a dict, or None and the reason."""
    if raw is None or raw == "":
        return {}, None
    if isinstance(raw, dict):
        return raw, None
    try:
        value = json.loads(raw)
    except (TypeError, json.JSONDecodeError) as err:
        return None, f"tool call arguments are not valid JSON: {err}"
    if not isinstance(value, dict):
        return None, "tool call arguments must be a JSON object"
    return value, None


def tool_call_error(call: InvalidToolCall) -> str:
    """Why a call is invalid: its `error`, or re-derived from `args` when langchain dropped it.

    Merging stream chunks rebuilds `invalid_tool_calls` from `tool_call_chunks` and loses `error`.
    """
    if call.get("error"):
        return call["error"]
    raw = call.get("args") or ""
    if raw.startswith("<tool_call>"):
        parsed = parse_tool_call(raw.removeprefix("<tool_call>").removesuffix("</tool_call>"))
        return parsed.error if isinstance(parsed, ToolCallError) else "tool call could not be read"
    return parse_arguments(raw)[1] or f"tool call {call.get('name')!r} could not be read"


def last_chunk(message: AIMessage, content: str = "", reasoning: str = "") -> AIMessageChunk:
    """The final stream chunk: the content/reasoning not yet streamed, plus the tool calls, usage and metadata."""
    chunks = [
        tool_call_chunk(name=c["name"], args=json.dumps(c["args"], ensure_ascii=False), id=c["id"], index=i)
        for i, c in enumerate(message.tool_calls)
    ]
    chunks += [
        tool_call_chunk(name=c["name"], args=c["args"], id=c["id"], index=len(chunks) + i)
        for i, c in enumerate(message.invalid_tool_calls)
    ]
    return AIMessageChunk(
        content=content,
        additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
        tool_call_chunks=chunks,
        usage_metadata=message.usage_metadata,
        response_metadata=dict(message.response_metadata),
        chunk_position="last",
    )


def delta_chunk(content: str, reasoning: str = "") -> ChatGenerationChunk:
    """A stream chunk carrying new content and/or reasoning text."""
    extra = {"reasoning_content": reasoning} if reasoning else {}
    return ChatGenerationChunk(message=AIMessageChunk(content=content, additional_kwargs=extra))


class ReplyStream:
    """Turns a reply that grows piece by piece into content and reasoning deltas that never need taking back.

    Protocol markup (`<think>`, `<tool_call>`) and the whitespace `parse_reply` would strip are held back,
    so the deltas join to exactly `parse_reply(full_text)`'s content and reasoning.
    """

    def __init__(self, text: str = "") -> None:
        self.text = text
        self._content = ""
        self._reasoning = ""

    def feed(self, piece: str) -> tuple[str, str]:
        """Add generated text; return the (content, reasoning) that became final."""
        self.text += piece
        return self._advance(*_settled(self.text))

    def finish(self) -> tuple[str, str]:
        """The rest of the content and reasoning, once the reply is complete."""
        reply = parse_reply(self.text)
        return self._advance(reply.content, reply.reasoning)

    def _advance(self, content: str, reasoning: str) -> tuple[str, str]:
        new_content = content[len(self._content):] if content.startswith(self._content) else ""
        new_reasoning = reasoning[len(self._reasoning):] if reasoning.startswith(self._reasoning) else ""
        self._content += new_content
        self._reasoning += new_reasoning
        return new_content, new_reasoning


def _settled(text: str) -> tuple[str, str]:
    """Content and reasoning of a partial reply that later text cannot change."""
    cut = len(text)
    tail = text.rfind("<")
    if tail >= 0 and any(tag.startswith(text[tail:]) for tag in _TAGS):
        cut = tail  # maybe the start of a tag
    partial = ""
    open_think = text.rfind("<think>", 0, cut)
    if open_think >= 0 and text.find("</think>", open_think) < 0:
        partial, cut = text[open_think + len("<think>"):cut].strip(), open_think
    reply = parse_reply(text[:cut])
    reasoning = "\n".join(part for part in (reply.reasoning, partial) if part)
    return reply.content, reasoning


def _guess_name(raw: str) -> str | None:
    found = _NAME_RE.search(raw)
    return found.group(1) if found else None


# ---------------------------------------------------------------- loading and prompts

_MODELS: dict[tuple[str, str | None], tuple[PreTrainedModel, PreTrainedTokenizerBase]] = {}
_MODELS_LOCK = threading.Lock()
_BATCHED: contextvars.ContextVar[dict[tuple[str, str], list[AIMessage]] | None] = contextvars.ContextVar(
    "agentlm_batched_replies", default=None
)


def shared_model(path: str | Path, gguf_file: str | None = None) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model once per process: every LocalChatModel (and copy) of the same path shares it."""
    path = Path(path).expanduser()
    if path.suffix == ".gguf" and gguf_file is None:
        path, gguf_file = path.parent, path.name
    key = (str(path.resolve()), gguf_file)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_model(key[0], gguf_file=gguf_file)
        return _MODELS[key]


def render_chat(tokenizer: PreTrainedTokenizerBase, chat: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
    """Render messages (and tool schemas) with the tokenizer's chat template, ready for the assistant's reply.

    Templates that know nothing of tools (SmolLM2's, for one) get the AgentLM protocol as text: the schemas
    in the system message and earlier tool calls in the assistant content.
    """
    template = tokenizer.chat_template or ""
    if "tool_calls" not in template:
        chat = [_calls_as_text(m) for m in chat]
    if tools and "tools" not in template:
        listing = "".join(json.dumps(t["function"], ensure_ascii=False) + "\n" for t in tools)
        text = TOOLS_SYSTEM.format(tools=listing)
        if chat and chat[0]["role"] == "system":
            chat = [{**chat[0], "content": f"{chat[0]['content']}\n\n{text}"}, *chat[1:]]
        else:
            chat = [{"role": "system", "content": text}, *chat]
        tools = []
    prompt = tokenizer.apply_chat_template(chat, tools=tools or None, add_generation_prompt=True, tokenize=False)
    # generate() tokenizes strings with add_special_tokens=True: drop a BOS the template wrote if it adds one
    bos = tokenizer.bos_token
    if bos and prompt.startswith(bos) and tokenizer("")["input_ids"][:1] == [tokenizer.bos_token_id]:
        prompt = prompt[len(bos):]
    return prompt


def _calls_as_text(chat: dict[str, Any]) -> dict[str, Any]:
    if not chat.get("tool_calls"):
        return chat
    calls = [
        '<tool_call>{"name": ' + json.dumps(c["function"]["name"], ensure_ascii=False) + ', "arguments": '
        + (c["function"].get("arguments") or "{}") + "}</tool_call>"
        for c in chat["tool_calls"]
    ]
    rest = {k: v for k, v in chat.items() if k != "tool_calls"}
    return {**rest, "content": "\n".join(part for part in (chat["content"], *calls) if part)}


def _prefill(choice: str | dict[str, Any] | None, tools: list[dict[str, Any]]) -> str:
    """Text that starts the reply so the model must call a tool (tool_choice "required" or a named tool)."""
    if choice == "required" and len(tools) == 1:
        choice = {"function": tools[0]["function"]}
    if choice == "required":
        return '<tool_call>{"name": "'
    if isinstance(choice, dict):
        return '<tool_call>{"name": ' + json.dumps(choice["function"]["name"], ensure_ascii=False) + ', "arguments":'
    return ""


@dataclass
class _Request:
    prompt: str  # rendered prompt, ending with the prefill
    prefill: str  # forced start of the reply
    prompt_tokens: int
    config: DecodingConfig
    constraint: Constraint | None = None  # grammar for the reply: the tools' schemas, or JSON

    @property
    def key(self) -> tuple[str, str]:
        return self.prompt, repr((self.config, self.constraint))


# ---------------------------------------------------------------- the chat model


class LocalChatModel(BaseChatModel):
    """A chat model that runs a local causal LM in this process.

    `temperature=0` decodes greedily (deterministic); `stop` strings and `max_tokens` bound every reply, and
    `max_tokens` is also cut to what is left of the model's context. Call-time keyword arguments
    (`temperature`, `top_p`, `max_tokens`, `seed`, `repetition_penalty`, `tools`, `tool_choice`) override the fields.
    With `constrained` (the default), a tool call can only name a bound tool, with arguments that match its
    schema (grammar-constrained decoding); `response_format` (OpenAI's `json_object` or `json_schema`) makes
    the whole reply JSON. `select_tools=k` narrows that grammar, for a reply to the user's message, to the k bound
    tools whose names and descriptions match the message best (agentlm.runtime.tool_selection): the embedder
    chooses among the tools, the model whether to call one and with what arguments.
    """

    model_path: str
    gguf_file: str | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: list[str] | None = None
    seed: int | None = None
    repetition_penalty: float = 1.0  # > 1 discourages the loops small models fall into with greedy decoding
    constrained: bool = True  # tool calls follow the bound tools' JSON schemas
    select_tools: int = 0  # > 0: a reply to the user may call only the k tools matching the message best

    @property
    def _llm_type(self) -> str:
        return "agentlm-local"

    @property
    def model_name(self) -> str:
        """The GGUF file name or the model directory's name."""
        return Path(self.gguf_file).stem if self.gguf_file else Path(self.model_path).name

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_path": self.model_path, "gguf_file": self.gguf_file,
                "max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p,
                "stop": self.stop, "seed": self.seed}

    def load(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        """The (model, tokenizer) pair, loaded on first use and shared by all instances in the process."""
        return shared_model(self.model_path, self.gguf_file)

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | dict[str, Any] | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (schema dicts, langchain tools, functions, objects with `.schema()`).

        `tool_choice`: None/"auto" lets the model decide, "none" hides the tools, "required"/"any" or a tool
        name makes the reply start with a call (the call is prefilled in the prompt).
        """
        specs = [to_openai_tool(t) for t in tools]
        return self.bind(tools=specs, tool_choice=normalize_tool_choice(tool_choice, specs), **kwargs)

    def render_prompt(
        self, messages: LanguageModelInput, tools: Sequence[Any] | None = None, tool_choice: Any = None
    ) -> str:
        """The exact prompt text the model reads for these messages and tools (including any prefill)."""
        return self._request(self._convert_input(messages).to_messages(), None,
                             {"tools": tools, "tool_choice": tool_choice}).prompt

    def sample(
        self,
        messages: LanguageModelInput,
        n: int,
        *,
        temperature: float = 0.8,
        top_p: float = 0.95,
        max_tokens: int | None = None,
        tools: Sequence[Any] | None = None,
        seed: int | None = None,
        stop_when: Callable[[list[str]], bool] | None = None,
    ) -> list[AIMessage]:
        """n sampled replies from one batched generate call, each parsed like `invoke`'s.

        Tools bound with `bind_tools` are not seen here: pass them as `tools`. `stop_when(finished_texts)`
        may end the call early (e.g. once a vote is settled); only the finished replies are returned then.
        """
        if temperature <= 0:
            raise ValueError("sample() needs temperature > 0: greedy decoding has a single answer")
        options = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "tools": tools,
                   "seed": seed}
        request = self._request(self._convert_input(messages).to_messages(), None, options, n=n)
        return self._run([request], stop_when)[0]

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """Reply to several conversations with one batched generate call.

        The replies are computed first; then each conversation runs through `invoke` as usual (callbacks,
        tracing, cache) and picks up its reply. Conversations that cannot share a call (different lengths
        cut `max_tokens` differently, errors) fall back to separate calls.
        """
        requests: list[_Request] = []
        if len(inputs) > 1:
            try:
                requests = [self._request(self._convert_input(x).to_messages(), kwargs.get("stop"), kwargs)
                            for x in inputs]
            except Exception:  # each invoke below reports its own error
                requests = []
        if not requests or any(r.config != requests[0].config for r in requests):
            return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)
        ready: dict[tuple[str, str], list[AIMessage]] = {}
        for request, replies in zip(requests, self._run(requests), strict=True):
            ready.setdefault(request.key, []).append(replies[0])
        token = _BATCHED.set(ready)
        try:
            return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)
        finally:
            _BATCHED.reset(token)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        ready = _BATCHED.get() or {}
        message = ready[request.key].pop(0) if ready.get(request.key) else self._run([request])[0][0]
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        model, tokenizer = self.load()
        reader = ReplyStream(request.prefill)
        start = time.perf_counter()
        for piece in stream(model, tokenizer, request.prompt, request.config, constraint=request.constraint):
            content, reasoning = reader.feed(piece)
            if content or reasoning:
                yield delta_chunk(content, reasoning)
        seconds = time.perf_counter() - start
        tokens = _count_output(tokenizer, reader.text[len(request.prefill):], request.config.max_new_tokens)
        message = self._reply(reader.text, request, tokens, seconds, tokens / seconds if seconds > 0 else 0.0)
        yield ChatGenerationChunk(message=last_chunk(message, *reader.finish()))

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any], n: int = 1
    ) -> _Request:
        """Render the prompt and settle the decoding parameters of one call."""
        model, tokenizer = self.load()

        def option(name: str) -> Any:
            return options[name] if options.get(name) is not None else getattr(self, name)

        tools = [to_openai_tool(t) for t in options.get("tools") or []]
        choice = normalize_tool_choice(options.get("tool_choice"), tools)
        prefill = _prefill(choice, tools)
        chat = to_chat_messages(messages)
        prompt = render_chat(tokenizer, chat, [] if choice == "none" else tools) + prefill
        prompt_tokens = len(tokenizer(prompt)["input_ids"])
        max_tokens = option("max_tokens")
        context = getattr(model.config, "max_position_embeddings", None)
        if context:
            if prompt_tokens >= context:
                raise ContextLengthError(f"The prompt is {prompt_tokens} tokens but {self.model_name} reads at most "
                                 f"{context}: shorten the conversation")
            max_tokens = min(max_tokens, context - prompt_tokens)
        temperature = option("temperature")
        config = DecodingConfig(
            max_new_tokens=max_tokens,
            strategy="sample" if temperature > 0 else "greedy",
            temperature=temperature if temperature > 0 else 1.0,
            top_p=option("top_p"),
            repetition_penalty=option("repetition_penalty"),
            n=n,
            stop=list(dict.fromkeys([*(self.stop or []), *(stop or [])])),
            seed=option("seed"),
        )
        constraint = response_format_constraint(options.get("response_format"))
        if constraint is None and tools and choice != "none" and option("constrained"):
            allowed = tools if isinstance(choice, dict) else select_tools(pending_request(chat), tools,
                                                                          int(option("select_tools") or 0))
            constraint = Constraint.for_tools(allowed, prefix=prefill)
        return _Request(prompt, prefill, prompt_tokens, config, constraint)

    def _run(self, requests: list[_Request], stop_when: Callable[[list[str]], bool] | None = None
             ) -> list[list[AIMessage]]:
        """One batched generate call for requests sharing a decoding config; n parsed replies per request."""
        model, tokenizer = self.load()
        texts, stats = generate_batch(model, tokenizer, [r.prompt for r in requests], requests[0].config,
                                      stop_when=stop_when, constraints=[r.constraint for r in requests])
        if stop_when is not None and not all(stats.finished):  # keep the paths that finished
            n = requests[0].config.n
            texts = [[t for j, t in enumerate(group) if stats.finished[i * n + j]] for i, group in enumerate(texts)]
        exact = len(requests) == 1 and requests[0].config.n == 1  # the stats then describe this one reply
        replies = []
        for request, group in zip(requests, texts, strict=True):
            limit = request.config.max_new_tokens
            replies.append([
                self._reply(request.prefill + text, request,
                            stats.completion_tokens if exact else _count_output(tokenizer, text, limit),
                            stats.seconds, stats.tokens_per_second)
                for text in group
            ])
        return replies

    def _reply(self, text: str, request: _Request, output_tokens: int, seconds: float, rate: float) -> AIMessage:
        message = parse_message(text)
        if output_tokens >= request.config.max_new_tokens:
            finish = "length"
        elif message.tool_calls or message.invalid_tool_calls:
            finish = "tool_calls"
        else:
            finish = "stop"
        message.response_metadata = {"model_name": self.model_name, "finish_reason": finish,
                                     "seconds": round(seconds, 4), "tokens_per_second": round(rate, 1)}
        message.usage_metadata = UsageMetadata(input_tokens=request.prompt_tokens, output_tokens=output_tokens,
                                               total_tokens=request.prompt_tokens + output_tokens)
        return message


def _count_output(tokenizer: PreTrainedTokenizerBase, text: str, limit: int) -> int:
    """Tokens of a generated text (re-tokenized), plus the end token when it stopped before the limit."""
    tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return limit if tokens >= limit else tokens + 1
