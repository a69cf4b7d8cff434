"""load_chat_model: specs to chat models, clear errors, and the SmolLM2 GGUF answering a question."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agentlm.model.loading import smollm2_gguf_path
from agentlm.runtime.chat_model import LocalChatModel
from agentlm.runtime.models import DEFAULT_MODEL_DIR, load_chat_model


def test_default_model_is_the_shipped_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTLM_MODEL", raising=False)
    assert Path(__file__).resolve().parents[1] / "models" / "agentlm-small" == DEFAULT_MODEL_DIR
    model = load_chat_model(max_tokens=12)
    assert isinstance(model, LocalChatModel)
    assert (Path(model.model_path), model.gguf_file, model.max_tokens) == (DEFAULT_MODEL_DIR, None, 12)


def test_env_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTLM_MODEL", "smollm2")
    model = load_chat_model()
    gguf = smollm2_gguf_path()
    assert (Path(model.model_path), model.gguf_file) == (gguf.parent, gguf.name)
    assert Path(load_chat_model(str(DEFAULT_MODEL_DIR)).model_path) == DEFAULT_MODEL_DIR  # an explicit spec wins


def test_gguf_paths(tmp_path: Path) -> None:
    gguf = smollm2_gguf_path()
    model = load_chat_model(str(gguf))
    assert (model.model_path, model.gguf_file, model.model_name) == (str(gguf.parent), gguf.name, gguf.stem)
    with pytest.raises(FileNotFoundError, match="No GGUF file"):
        load_chat_model(str(tmp_path / "missing.gguf"))


def test_unknown_specs_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_chat_model(str(tmp_path))
    with pytest.raises(ValueError, match="Unknown model 'gpt-5'.*http"):
        load_chat_model("gpt-5")


def test_smollm2_gguf_answers_a_question() -> None:
    """The only GGUF test: dequantizing SmolLM2-135M takes ~15-30 s."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = load_chat_model("smollm2", max_tokens=20)
        reply = model.invoke("What is the capital of France? Answer in one sentence.")
    finally:
        torch.set_num_threads(before)
    assert "Paris" in reply.content
    assert reply.response_metadata["model_name"] == "SmolLM2-135M-Instruct.Q4_1"
    assert reply.usage_metadata["input_tokens"] > 10
