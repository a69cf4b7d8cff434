"""Post-training stages on a tiny real model: skill data, SFT (full and PEFT), reward model, GRPO, DPO, eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from agentlm.data.synth.build import build_skill_data
from agentlm.data.validate import validate_file
from agentlm.model.loading import load_model


@pytest.fixture(scope="module")
def tiny_model(small_tokenizer: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised ~1M-parameter Llama with our tokenizer, saved like a pretraining stage."""
    from transformers import AutoModelForCausalLM

    from agentlm.model.presets import build_config
    from agentlm.model.tokenizer import load_tokenizer

    tok = load_tokenizer(small_tokenizer)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(build_config("tiny", len(tok), eos_token_id=tok.eos_token_id,
                                                          pad_token_id=tok.pad_token_id))
    out = tmp_path_factory.mktemp("tiny")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def skills(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("skills")
    build_skill_data(out, n_train=240, n_test=80, seed=0)
    return out


def test_skill_data_files_are_valid_and_cover_every_family(skills: Path) -> None:
    report = json.loads((skills / "report.json").read_text())
    train_families = {k.split("/")[0] for k in report["families"]["train"]}
    assert {"math_calc", "tool_choice", "grounded_qa", "harmful", "json_extract"} <= train_families
    assert any(k.endswith("/zh") for k in report["families"]["train"])
    assert report["preference_pairs"] > 100
    for name in ("train.jsonl", "test.jsonl", "preference_train.jsonl", "preference_train.openai.jsonl"):
        result = validate_file(skills / name)
        assert result.ok, (name, result.errors[:5])


def test_sft_lowers_loss_and_writes_a_loadable_model(tiny_model: Path, skills: Path, tmp_path: Path) -> None:
    from agentlm.train.sft import SFTStageConfig, run_sft

    out = tmp_path / "sft"
    result = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=out,
                                    max_steps=24, batch_size=8, lr=3e-3))
    losses = [r["loss"] for r in map(json.loads, (out / "log.jsonl").read_text().splitlines())
              if r["kind"] == "train" and "train_loss" not in r]
    assert len(losses) >= 2 and losses[-1] < losses[0] - 0.5
    assert result["trainable_parameters"] == result["total_parameters"]
    assert (out / "model.safetensors").is_file() and (out / "loss.png").is_file()
    assert json.loads((out / "agentlm.json").read_text())["stage"] == "sft"
    model, tok = load_model(out)
    assert model.config.model_type == "llama" and "<tool_call>" in tok.get_vocab()


def test_resumed_sft_keeps_its_log_and_counts_the_seconds_before(tiny_model: Path, skills: Path,
                                                                  tmp_path: Path) -> None:
    """A second call on the same folder resumes from the last checkpoint: the loss curve keeps the first part
    and `train_seconds` counts both parts (it used to report the resumed part only)."""
    from agentlm.train.sft import SFTStageConfig, run_sft

    out = tmp_path / "sft"
    first = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=out,
                                   max_steps=20, batch_size=4, lr=1e-3))
    progress = json.loads((out / "checkpoints" / "checkpoint-20" / "agentlm_progress.json").read_text())
    assert progress["train_seconds"] == pytest.approx(first["train_seconds"], abs=0.2)
    with (out / "log.jsonl").open("a") as log:
        log.write('{"kind": "train", "step": 2')  # a row a killed process left half-written
    again = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=out,
                                   max_steps=30, batch_size=4, lr=1e-3))
    assert again["resumed_at_tokens"] == first["tokens"] and again["tokens"] > first["tokens"]
    assert again["train_seconds"] > first["train_seconds"]
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in rows if r["kind"] == "train" and "train_loss" not in r]
    assert steps == [10, 20, 30]  # the first call's rows kept, none twice
    seconds = [r["seconds"] for r in rows if r["kind"] == "train" and "train_loss" not in r]
    assert seconds == sorted(seconds) and seconds[-1] > first["train_seconds"]
    finished = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=out,
                                      max_steps=30, batch_size=4, lr=1e-3))  # nothing left to train
    assert finished["train_seconds"] >= again["train_seconds"] - 0.2


@pytest.mark.parametrize("method", ["full", "lora"])
def test_assistant_token_head_gives_trls_loss_and_gradients(method: str, tiny_model: Path, skills: Path,
                                                            tmp_path: Path) -> None:
    """The LM head on labelled positions only must train exactly what TRL's fused head trains."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from agentlm.train.common import trainer_arguments
    from agentlm.train.sft import CausalRightPadding, SFTStageConfig, load_chat_rows, peft_config
    from agentlm.train.sft_trainer import AssistantTokenSFTTrainer, backbone_and_head

    model, tok = load_model(tiny_model, dtype="float32")
    model.train()
    args = SFTConfig(**trainer_arguments(tmp_path, epochs=1, lr=1e-3, batch_size=8, grad_accum=1, max_steps=1,
                                         seed=0, precision="fp32"), max_length=512, assistant_only_loss=True)
    trainer = AssistantTokenSFTTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(load_chat_rows(skills / "train.jsonl", 16)),
        processing_class=tok, peft_config=peft_config(SFTStageConfig(tiny_model, Path(), tmp_path, method=method), []))
    trainer.data_collator = CausalRightPadding(trainer.data_collator)
    batch = next(iter(trainer.get_train_dataloader()))
    labelled = int((batch["labels"][:, 1:] != -100).sum())
    assert 0 < labelled < batch["labels"].numel() // 2  # the prompt tokens carry no loss
    assert backbone_and_head(trainer.model) is not None
    results = []
    for compute_loss in (AssistantTokenSFTTrainer.compute_loss, SFTTrainer.compute_loss):
        trainer.model.zero_grad()
        loss = compute_loss(trainer, trainer.model, dict(batch), num_items_in_batch=torch.tensor(labelled))
        loss.backward()
        grads = [p.grad.clone() for p in trainer.model.parameters() if p.requires_grad]
        results.append((loss.item(), grads))
    (ours, our_grads), (trls, trl_grads) = results
    assert ours == pytest.approx(trls, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6, rtol=1e-4) for a, b in zip(our_grads, trl_grads, strict=True))
    assert trainer._metrics["train"]["mean_token_accuracy"] and trainer._metrics["train"]["entropy"]


@pytest.mark.parametrize("method", ["full", "lora"])
def test_reply_token_head_gives_trls_dpo_loss_and_gradients(method: str, tiny_model: Path, skills: Path,
                                                            tmp_path: Path) -> None:
    """DPO + SFT term with the LM head on reply tokens only must train exactly what TRL's fused head trains."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer

    from agentlm.train.common import trainer_arguments
    from agentlm.train.dpo import load_preference_rows
    from agentlm.train.dpo_trainer import CompactHeadDPOTrainer, add_compact_log_prob_head

    model, tok = load_model(tiny_model, dtype="float32")
    model.train()
    args = DPOConfig(**trainer_arguments(tmp_path, epochs=1, lr=1e-5, batch_size=4, grad_accum=1, max_steps=1,
                                         seed=0, precision="fp32"),
                     max_length=512, loss_type=["sigmoid", "sft"], loss_weights=[1.0, 0.5])
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"]) if method == "lora" else None
    rows = Dataset.from_list(load_preference_rows(skills / "preference_train.jsonl", 8))
    trainer = DPOTrainer(model=model, args=args, train_dataset=rows, processing_class=tok, peft_config=lora)
    batch = next(iter(trainer.get_train_dataloader()))
    reply = int(batch["completion_mask"].sum())
    assert 0 < reply < batch["completion_mask"].numel() // 2  # most positions are prompt: the saving
    results = []
    for compact in (False, True):
        if compact:  # the policy (and the reference copy) now score reply tokens only
            policy = trainer.model.get_base_model() if method == "lora" else trainer.model
            add_compact_log_prob_head(policy)
            if trainer.ref_model is not None:
                add_compact_log_prob_head(trainer.ref_model)
        trainer.model.zero_grad()
        trainer._metrics["train"].clear()
        loss = trainer.compute_loss(trainer.model, dict(batch))
        loss.backward()
        grads = [p.grad.clone() for p in trainer.model.parameters() if p.requires_grad]
        results.append((loss.item(), grads, {k: v[-1] for k, v in trainer._metrics["train"].items()}))
    (trls, trl_grads, trl_metrics), (ours, our_grads, our_metrics) = results
    assert ours == pytest.approx(trls, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6, rtol=1e-4) for a, b in zip(our_grads, trl_grads, strict=True))
    assert our_metrics.keys() == trl_metrics.keys()
    differ = {k: (our_metrics[k], trl_metrics[k]) for k in trl_metrics if k != "num_tokens"  # a running count
              and our_metrics[k] != pytest.approx(trl_metrics[k], rel=1e-4, abs=1e-5)}
    assert not differ
    fresh, _ = load_model(tiny_model, dtype="float32")
    compact = CompactHeadDPOTrainer(model=fresh, args=args, train_dataset=rows, processing_class=tok)
    assert compact.model.forward.__func__.__qualname__.startswith("add_compact_log_prob_head")


@pytest.mark.parametrize("method", ["lora", "ia3", "prefix", "prompt"])
def test_peft_methods_train_a_fraction_of_the_weights(method: str, tiny_model: Path, skills: Path,
                                                      tmp_path: Path) -> None:
    from agentlm.train.sft import SFTStageConfig, run_sft

    result = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=tmp_path / method,
                                    method=method, max_steps=2, batch_size=4, max_examples=16))
    assert 0 < result["trainable_parameters"] < 0.2 * result["total_parameters"]
    if method in ("lora", "ia3"):  # merged into a plain model
        assert (tmp_path / method / "model.safetensors").is_file()
    else:
        assert (tmp_path / method / "adapter" / "adapter_model.safetensors").is_file()


@pytest.mark.parametrize("method", ["prompt", "prefix"])
def test_prompt_learning_adapters_decode_like_their_forward_pass(method: str, tiny_model: Path, skills: Path,
                                                                 tmp_path: Path) -> None:
    """Batched, left-padded, cached decoding of a prompt/prefix-tuned model gives the tokens that a plain greedy loop
    over the adapter's own forward pass (no cache, one prompt at a time) gives; PeftModel.generate did not."""
    from agentlm.model.generate import DecodingConfig, generate_batch
    from agentlm.model.soft_prompt import prompt_learning_tokens
    from agentlm.train.sft import SFTStageConfig, run_sft

    run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=tmp_path / method,
                           method=method, max_steps=2, batch_size=4, max_examples=16, lr=0.3))
    model, tok = load_model(tmp_path / method)
    assert prompt_learning_tokens(model) > 0
    chats = [[{"role": "user", "content": q}] for q in ("Who are you?", "Hi", "What is 12 * 7? Show your steps.")]
    texts, _ = generate_batch(model, tok, chats, DecodingConfig(max_new_tokens=10))
    for chat, (text,) in zip(chats, texts, strict=True):
        ids = tok.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        x = ids["input_ids"]
        with torch.no_grad():
            for _ in range(10):
                x = torch.cat([x, model(input_ids=x, attention_mask=torch.ones_like(x)).logits[:, -1:].argmax(-1)], 1)
        want = tok.decode(x[0, ids["input_ids"].shape[1]:].tolist(), skip_special_tokens=True)
        assert want.startswith(text) and (text or not want), (method, text, want)


def test_peft_compare_starts_from_the_untrained_model_and_resumes(tiny_model: Path, skills: Path,
                                                                   tmp_path: Path) -> None:
    from agentlm.train.peft_compare import PeftCompareConfig, compare_methods

    cfg = PeftCompareConfig(model=tiny_model, train_file=skills / "train.jsonl", test_file=skills / "test.jsonl",
                            out_dir=tmp_path / "peft", methods=["prompt"], max_steps=2, batch_size=4, per_family=1)
    rows = compare_methods(cfg)
    assert [r["method"] for r in rows] == ["start", "prompt"]
    assert rows[0]["trainable_parameters"] == 0 and rows[1]["trainable_parameters"] > 0
    assert "| start | 0 |" in (tmp_path / "peft" / "results.md").read_text()
    trained = (tmp_path / "peft" / "prompt" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
    assert compare_methods(cfg) == rows  # done rows are kept, not trained again
    cfg.methods = []
    assert compare_methods(cfg) == rows  # rows of methods not asked for this time are kept too
    assert (tmp_path / "peft" / "prompt" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns == trained
    cfg.methods, cfg.max_steps = ["prompt"], 3
    with pytest.raises(ValueError, match="other settings"):
        compare_methods(cfg)
    cfg.methods = ["dora"]
    with pytest.raises(ValueError, match="unknown method"):
        compare_methods(cfg)


def test_sft_batch_rebalance_splits_every_step_into_micro_batches_of_varying_size(
        tiny_model: Path, skills: Path, tmp_path: Path, monkeypatch) -> None:
    """`sampling="batch_rebalance"`: each optimizer step takes batch_size x grad_accum examples and splits them
    into grad_accum micro-batches of varying size; an unknown sampling is refused before anything is written."""
    from agentlm.train.sft import SFTStageConfig, run_sft
    from agentlm.train.sft_trainer import AssistantTokenSFTTrainer

    seen: list[int] = []  # the rows of every micro-batch
    original = AssistantTokenSFTTrainer.compute_loss

    def recording(self, model, inputs, *args, **kwargs):
        if model.training:
            seen.append(inputs["input_ids"].size(0))
        return original(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(AssistantTokenSFTTrainer, "compute_loss", recording)
    result = run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=tmp_path / "sft",
                                    max_steps=6, batch_size=4, grad_accum=4, sampling="batch_rebalance", lr=1e-3))
    assert len(seen) == 6 * 4 and sum(seen) == 6 * 16
    assert len(set(seen)) > 1  # group_by_length would give 4 rows every time
    assert result["tokens"] > 0 and (tmp_path / "sft" / "model.safetensors").is_file()
    with pytest.raises(ValueError, match="sampling must be one of"):
        run_sft(SFTStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=tmp_path / "never",
                               sampling="shuffled"))
    assert not (tmp_path / "never").exists()


def test_sft_refuses_invalid_data_with_line_numbers(tiny_model: Path, tmp_path: Path) -> None:
    from agentlm.train.sft import SFTStageConfig, run_sft

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n'
                   '{"messages": [{"role": "wizard", "content": "x"}]}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        run_sft(SFTStageConfig(model=tiny_model, train_file=bad, out_dir=tmp_path / "never"))
    assert not (tmp_path / "never").exists()


def test_foreign_template_without_generation_marks_adopts_ours(tiny_model: Path, skills: Path,
                                                               tmp_path: Path) -> None:
    """A model whose template cannot mark assistant tokens (like SmolLM2's) learns our protocol with LoRA."""
    from transformers import AutoTokenizer

    from agentlm.model.tokenizer import chat_template
    from agentlm.train.sft import SFTStageConfig, run_sft

    foreign = tmp_path / "foreign"
    model, _ = load_model(tiny_model)
    tok = AutoTokenizer.from_pretrained(tiny_model)
    chatml = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
              "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    tok.chat_template = chatml
    model.save_pretrained(foreign)
    tok.save_pretrained(foreign)
    run_sft(SFTStageConfig(model=foreign, train_file=skills / "train.jsonl", out_dir=tmp_path / "out", method="lora",
                           max_steps=2, batch_size=4, max_examples=16))
    tuned, tuned_tok = load_model(tmp_path / "out")
    assert tuned_tok.chat_template == chat_template() and "<tool_call>" in tuned_tok.get_vocab()
    assert tuned.get_input_embeddings().weight.shape[0] >= len(tuned_tok)


def test_foreign_vocabulary_gets_control_tokens_spelled_in_and_markup_as_text(skills: Path, tmp_path: Path) -> None:
    """A vocabulary without our tokens: control tokens are added, starting from the mean of their spelling's
    pieces; `<tool_call>` stays text the model already reads, and a LoRA run learns on it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    from agentlm.model.presets import build_config
    from agentlm.model.protocol import parse_reply
    from agentlm.model.tokenizer import CONTROL_TOKENS
    from agentlm.train.sft import SFTStageConfig, adopt_agentlm_template, run_sft

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    texts = [json.dumps(json.loads(line)) for line in (skills / "train.jsonl").read_text().splitlines()[:100]]
    raw.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>")
    size = len(tok)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(build_config("tiny", len(tok)))
    before = model.get_input_embeddings().weight.detach().clone()
    spelled = tok("<|end|>", add_special_tokens=False)["input_ids"]
    assert len(spelled) > 1

    new_ids = adopt_agentlm_template(model, tok)
    assert [tok.convert_ids_to_tokens(i) for i in new_ids] == CONTROL_TOKENS
    assert "<tool_call>" not in tok.get_vocab()
    end_row = model.get_input_embeddings().weight[tok.convert_tokens_to_ids("<|end|>")]
    torch.testing.assert_close(end_row, before[spelled].mean(dim=0))
    call = '<tool_call>{"name": "calculator", "arguments": {"expression": "2 + 3"}}</tool_call>'
    ids = tok.apply_chat_template([{"role": "user", "content": "2+3?"}, {"role": "assistant", "content": call}],
                                  tokenize=True, return_dict=True)["input_ids"]
    decoded = tok.decode(ids, skip_special_tokens=True)
    assert call in decoded and parse_reply(call).tool_calls[0].name == "calculator"

    foreign = tmp_path / "foreign"
    AutoModelForCausalLM.from_config(build_config("tiny", size)).save_pretrained(foreign)
    PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>").save_pretrained(foreign)
    run_sft(SFTStageConfig(model=foreign, train_file=skills / "train.jsonl", out_dir=tmp_path / "out",
                           method="lora", max_steps=2, batch_size=4, max_examples=16))
    tuned, tuned_tok = load_model(tmp_path / "out")
    assert tuned_tok.eos_token == "<|end|>" and "<tool_call>" not in tuned_tok.get_vocab()
    assert tuned.get_input_embeddings().weight.shape[0] == size + len(CONTROL_TOKENS)


def test_reward_model_dpo_and_grpo_run_and_report(tiny_model: Path, skills: Path, tmp_path: Path) -> None:
    from agentlm.train.dpo import DPOStageConfig, run_dpo
    from agentlm.train.reward import RewardStageConfig, run_reward
    from agentlm.train.rl import RLStageConfig, run_rl

    pairs = skills / "preference_train.jsonl"
    reward = run_reward(RewardStageConfig(model=tiny_model, train_file=pairs, out_dir=tmp_path / "rm",
                                          max_steps=4, max_examples=64))
    assert 0 <= reward["pairwise_accuracy"] <= 1 and (tmp_path / "rm" / "model.safetensors").is_file()
    dpo = run_dpo(DPOStageConfig(model=tiny_model, train_file=pairs, out_dir=tmp_path / "dpo", max_steps=3,
                                 max_examples=32, batch_size=4, sft_weight=0.5))
    assert dpo["loss_type"] == ["sigmoid", "sft"] and dpo["loss_weights"] == [1.0, 0.5]  # RPO: DPO + chosen NLL
    assert dpo["final_reward_accuracy"] is not None and (tmp_path / "dpo" / "model.safetensors").is_file()
    rl = run_rl(RLStageConfig(model=tiny_model, train_file=skills / "train.jsonl", out_dir=tmp_path / "rl",
                              reward_model=tmp_path / "rm", max_steps=1, prompts=8, max_completion_length=16))
    assert rl["steps"] == 1 and rl["last_reward"] is not None
    assert (tmp_path / "rl" / "reward.png").read_bytes()[:4] == b"\x89PNG"  # GRPO: the sampled replies' reward
    record = json.loads((tmp_path / "rl" / "agentlm.json").read_text())
    assert record["stage"] == "rl" and record["base_model"] == str(tiny_model)


def test_grpo_calculator_prompts_stop_after_reference_steps_and_reward_the_next_move(tiny_model: Path,
                                                                                     skills: Path) -> None:
    """math_calc prompts end after k reference steps; the reward is 1 for the next step's call (any expression with
    the right result) or, after the last step, for the answer without a call, and 0 for a call too many."""
    from agentlm.train.rl import DEFAULT_FAMILIES, rl_prompts, verifiable_reward

    tok = load_model(tiny_model)[1]
    rows = rl_prompts(skills / "train.jsonl", tok, 1000, seed=0, families=("math_calc",))
    assert rows and {r["family"] for r in rows} == {"math_calc"}
    metas = [json.loads(r["meta"]) for r in rows]
    assert {m["rl_step"] for m in metas} >= {0, 1, 2}
    for r, m in zip(rows, metas, strict=True):
        assert r["prompt"].count("<tool_result>") == m["rl_step"] and r["prompt"].endswith("<|assistant|>\n")

    def call(expr: str) -> str:
        return "<tool_call>" + json.dumps({"name": "calculator", "arguments": {"expression": expr}}) + "</tool_call>"

    right = [call(f"({m['expressions'][m['rl_step']]}) * 1") if m["rl_step"] < m["steps"]
             else f"So it is {m['answer']}.\nAnswer: {m['answer']}" for m in metas]
    one_more = [call(f"{m['answer']} + 1") for m in metas]
    args = ([r["family"] for r in rows], [r["meta"] for r in rows], [r["tools"] for r in rows])
    assert verifiable_reward(right, *args) == [1.0] * len(rows)
    last = [m["rl_step"] == m["steps"] for m in metas]
    assert [x for x, done in zip(verifiable_reward(one_more, *args), last, strict=True) if done] == [0.0] * sum(last)
    assert "math_calc" not in DEFAULT_FAMILIES and {r["family"] for r in rl_prompts(
        skills / "train.jsonl", tok, 1000, seed=0)} <= set(DEFAULT_FAMILIES)
    with pytest.raises(ValueError, match="no verifiable reward"):
        rl_prompts(skills / "train.jsonl", tok, 10, seed=0, families=("style",))


def test_lora_dpo_trains_adapters_and_saves_a_plain_merged_model(tiny_model: Path, skills: Path,
                                                               tmp_path: Path) -> None:
    """`method="lora"`: only the adapters train (the model without them is the reference), and the saved model is
    a plain checkpoint with the adapters merged in: loadable without PEFT, and different from the start."""
    from safetensors.torch import load_file

    from agentlm.train.dpo import DPOStageConfig, run_dpo

    pairs = skills / "preference_train.jsonl"
    with pytest.raises(ValueError, match="'full' or 'lora'"):
        run_dpo(DPOStageConfig(model=tiny_model, train_file=pairs, out_dir=tmp_path / "bad", method="ia3"))
    assert not (tmp_path / "bad").exists()
    dpo = run_dpo(DPOStageConfig(model=tiny_model, train_file=pairs, out_dir=tmp_path / "dpo", method="lora",
                                 lora_r=4, lr=1e-2, max_steps=2, max_examples=16, batch_size=4, sft_weight=1.0))
    start = load_file(tiny_model / "model.safetensors")
    merged = load_file(tmp_path / "dpo" / "model.safetensors")
    assert dpo["method"] == "lora" and 0 < dpo["trainable_parameters"] < sum(t.numel() for t in start.values()) / 4
    assert merged.keys() == start.keys() and not (tmp_path / "dpo" / "adapter_config.json").exists()
    changed = [k for k in start if not torch.equal(start[k], merged[k].to(start[k].dtype))]
    assert changed and all(k.endswith("proj.weight") for k in changed)  # LoRA layers only; norms and embeddings kept
    record = json.loads((tmp_path / "dpo" / "agentlm.json").read_text())
    assert record["method"] == "lora" and record["config"]["method"] == "lora"


def test_skill_eval_grades_every_family(tiny_model: Path, skills: Path) -> None:
    from agentlm.eval.skills import evaluate_skills, grade_turn, run_calculator, skills_markdown

    model, tok = load_model(tiny_model)
    report = evaluate_skills(model, tok, skills / "test.jsonl", per_family=2, batch_size=8, progress=None)
    assert "math_calc/en" in report["families"] and "tool_choice/en" in report["families"]
    for metrics in report["families"].values():
        assert all(0 <= v <= 1 for k, v in metrics.items() if k != "n")
    assert "| family | lang |" in skills_markdown(report)
    # the text behind every grade, in the same order; a refusal grade is the reply's opening
    assert report["replies"].keys() == report["grades"].keys()
    assert all(len(report["replies"][k]) == len(report["grades"][k]) for k in report["grades"])
    assert all(isinstance(t, str) for texts in report["replies"].values() for t in texts)
    # the calculator loop's calls, one list per graded row: a row used the calculator exactly when it called a tool
    for key, made in report["calc_calls"].items():
        assert key.startswith("math_calc/") and len(made) == len(report["grades"][key])
        for calls, grade in zip(made, report["grades"][key], strict=True):
            assert grade["used_calculator"] == float(bool(calls))
            assert all(c["result"] == run_calculator(c["arguments"]) for c in calls if c["name"] == "calculator")
    harmful = report["replies"]["harmful/en"]
    assert [g["refused"] for g in report["grades"]["harmful/en"]] == [
        grade_turn("harmful", {}, t, [])["refused"] for t in harmful]


def test_skill_eval_runs_only_the_families_asked_for(tiny_model: Path, skills: Path, capsys) -> None:
    from agentlm.cli import main
    from agentlm.eval.skills import evaluate_skills, load_examples

    model, tok = load_model(tiny_model)
    report = evaluate_skills(model, tok, skills / "test.jsonl", per_family=2, batch_size=8, progress=None,
                             families=["harmful", "harmless_lookalike"])
    assert {k.split("/")[0] for k in report["families"]} == {"harmful", "harmless_lookalike"}
    assert report["examples"] == sum(m["n"] for m in report["families"].values())
    english = evaluate_skills(model, tok, skills / "test.jsonl", per_family=2, batch_size=8, progress=None,
                              families=["harmful"], lang="en")
    assert list(english["families"]) == ["harmful/en"]
    assert {r["metadata"]["family"] for r in load_examples(skills / "test.jsonl", families="harmful")} == {"harmful"}
    with pytest.raises(ValueError, match=r"no rows of family \['wizardry'\]; it has \[.*'harmful'"):
        load_examples(skills / "test.jsonl", families=["harmful", "wizardry"])
    # the CLI says so before loading the model (a path that is no model at all)
    assert main(["eval", "skills", "--model", "/nonexistent", "--data", str(skills / "test.jsonl"),
                 "--families", "wizardry"]) == 2
    assert "no rows of family ['wizardry']" in capsys.readouterr().err


def test_skill_eval_batches_one_family_at_a_time(tiny_model: Path, skills: Path, monkeypatch) -> None:
    """A batch decodes until its longest reply ends, so the first-turn batches hold one family each."""
    import agentlm.eval.skills as skill_eval

    model, tok = load_model(tiny_model)
    rows = [r for r in skill_eval.load_examples(skills / "test.jsonl", per_family=3)
            if r["metadata"]["family"] != "math_calc"]
    family_of = {skill_eval.render_prompt(tok, r["messages"][:next(i for i, m in enumerate(r["messages"])
                                                                   if m["role"] == "assistant")], r.get("tools")):
                 r["metadata"]["family"] for r in rows}
    batches: list[set[str]] = []
    real = skill_eval.generate_batch

    def recording(model, tokenizer, prompts, *args, **kwargs):
        batches.append({family_of.get(p, "later turn") for p in prompts})
        return real(model, tokenizer, prompts, *args, **kwargs)

    monkeypatch.setattr(skill_eval, "generate_batch", recording)
    skill_eval.evaluate_skills(model, tok, skills / "test.jsonl", per_family=3, batch_size=4, progress=None)
    first_turn = [b for b in batches if "later turn" not in b]
    assert len(first_turn) >= len(set(family_of.values())) and all(len(b) == 1 for b in first_turn)


def test_grader_scores_reference_replies_as_correct(skills: Path) -> None:
    """The reference reply of each test example passes its own grader (the graders match the protocol)."""
    from agentlm.eval.skills import grade_turn, load_examples

    def render(msg: dict) -> str:
        calls = "".join(f'<tool_call>{{"name": {json.dumps(c["function"]["name"])}, '
                        f'"arguments": {c["function"]["arguments"]}}}</tool_call>' for c in msg.get("tool_calls") or [])
        return (msg.get("content") or "") + calls

    for row in load_examples(skills / "test.jsonl"):
        fam, meta = row["metadata"]["family"], row["metadata"]
        first = next(m for m in row["messages"] if m["role"] == "assistant")
        scores = grade_turn(fam, meta, render(first), row.get("tools") or [])
        bad = {k: v for k, v in scores.items() if (v < 1 if k != "wrongly_refused" else v > 0)}
        assert not bad, (fam, meta, first, bad)


def test_plan_grader_tells_a_needed_first_call_from_the_format_alone() -> None:
    """A plan that calls the weather tool for a place the request never named has the format, not the call;
    the second needed call first is right (a plan may start with either)."""
    from agentlm.eval.skills import grade_turn

    meta = {"tools": ["get_weather", "get_weather"],
            "calls": [{"name": "get_weather", "arguments": {"location": "索贝城"}},
                      {"name": "get_weather", "arguments": {"location": "塔杰堡"}}]}

    def reply(place: str) -> str:
        return ("计划：\n1. 用 get_weather 查询天气。\n2. 比较两地气温。\n"
                f'<tool_call>{{"name": "get_weather", "arguments": {{"location": "{place}"}}}}</tool_call>')

    wrong, second = grade_turn("plan_execute", meta, reply("新罡"), []), grade_turn("plan_execute", meta,
                                                                                     reply("塔杰堡"), [])
    assert wrong == {"plan_and_first_call": 1.0, "first_call_needed": 0.0}
    assert second == {"plan_and_first_call": 1.0, "first_call_needed": 1.0}
    no_call = grade_turn("plan_execute", {"tools": [], "calls": []}, "计划：\n1. 想一想。", [])
    assert no_call == {"plan_and_first_call": 1.0, "first_call_needed": 1.0}


def test_continuation_rows_cut_real_corpus_text(small_corpus: Path) -> None:
    from agentlm.data.continuation import continuation_rows
    from agentlm.data.corpus import iter_corpus_texts

    rows = continuation_rows(small_corpus, 40, seed=3)
    assert rows == continuation_rows(small_corpus, 40, seed=3) and rows != continuation_rows(small_corpus, 40, seed=4)
    texts = list(iter_corpus_texts(small_corpus, "train"))
    for row in rows:
        user, assistant = row["messages"]
        assert (user["role"], assistant["role"]) == ("user", "assistant") and json.loads(row["tools"]) == []
        prompt = user["content"].split("\n\n", 1)[1]
        # the reply is what follows the prompt in one corpus document
        assert any(prompt in t and assistant["content"] in t[t.index(prompt) + len(prompt):] for t in texts)
    assert any(r["messages"][0]["content"].startswith(("请", "续", "接")) for r in rows)  # Chinese text too
    with pytest.raises(ValueError, match="text_corpus"):
        from agentlm.train.sft import SFTStageConfig, run_sft

        run_sft(SFTStageConfig(model=small_corpus, train_file=small_corpus / "missing.jsonl",
                               out_dir=small_corpus / "x", text_examples=5))


def test_model_card_marks_targets_met_and_missed() -> None:
    from agentlm.train.recipes.default import model_card

    scores = {"tool_choice/en": {"tool_choice": 0.97, "valid_call": 0.9, "n": 30},
              "harmless_lookalike/en": {"wrongly_refused": 0.03, "n": 30},
              "harmless_lookalike/zh": {"wrongly_refused": 0.2, "n": 30}}
    card = model_card({"stages": {"sft": {"seconds": 60.0, "result": {"train_loss": 1.0}, "eval": scores}},
                       "selection": {"model": "sft"}})
    assert "| tool choice | ≥ 95% | 97.0% ✓ |  |" in card
    assert "| valid, executable tool calls | ≥ 98% | 90.0% ✗ |  |" in card
    assert "| harmless look-alikes refused (lower is better) | ≤ 5% | 3.0% ✓ | 20.0% ✗ |" in card
    constrained = {"tool_choice/en": {"tool_choice": 0.97, "valid_call": 0.99, "n": 30}}
    card = model_card({"stages": {"sft": {"seconds": 60.0, "result": {}, "eval": scores,
                                          "eval_constrained": constrained}}, "selection": {"model": "sft"}})
    assert "| valid, executable tool calls | ≥ 98% | 90.0% ✗ |  | 99.0% ✓ |  |" in card
    assert "English, constrained | Chinese, constrained |" in card


def test_recipe_sft_passes_on_fresh_data_are_generated_once_with_their_mix(tmp_path: Path) -> None:
    from agentlm.train.recipes.default import RecipeConfig, SFTPass, generators_fingerprint, sft_pass_data

    cfg = RecipeConfig(work_dir=tmp_path / "runs", skills_dir=tmp_path / "skills", n_train=1500)
    assert sft_pass_data(cfg, SFTPass(1e-3)) == tmp_path / "skills" / "train.jsonl"
    plain = sft_pass_data(cfg, SFTPass(3e-4, data_seed=1))
    safety = sft_pass_data(cfg, SFTPass(3e-4, data_seed=2, zh_share=0.5, mix={"harmful": 0.3}))
    assert plain.name == "train-s1.jsonl" and safety.name == "train-s2.jsonl"

    def share(path: Path, key: str, value: str) -> float:
        rows = [json.loads(line)["metadata"] for line in path.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == 1500
        return sum(r[key] == value for r in rows) / len(rows)

    assert share(plain, "family", "harmful") < 0.08 < 0.15 < share(safety, "family", "harmful")
    assert share(plain, "lang", "zh") < 0.35 < share(safety, "lang", "zh")
    before = safety.stat().st_mtime_ns
    same = SFTPass(1e-4, data_seed=2, zh_share=0.5, mix={"harmful": 0.3})
    assert sft_pass_data(cfg, same) == safety and safety.stat().st_mtime_ns == before

    # another mix for the same seed is an error, not the old data reused; nothing is overwritten
    with pytest.raises(ValueError, match="other examples than this SFT pass asks for"):
        sft_pass_data(cfg, SFTPass(3e-4, data_seed=2))
    assert safety.stat().st_mtime_ns == before
    # a file from before the spec records: adopted when it is what the pass generates, refused when not
    (tmp_path / "skills" / "train-s1.spec.json").unlink()
    assert sft_pass_data(cfg, SFTPass(3e-4, data_seed=1)) == plain
    (tmp_path / "skills" / "train-s2.spec.json").unlink()
    with pytest.raises(ValueError, match="move it away"):
        sft_pass_data(cfg, SFTPass(3e-4, data_seed=2))
    assert sft_pass_data(cfg, same) == safety and safety.stat().st_mtime_ns == before
    # generators whose code changed since: the file is adopted if they still write it, refused if not
    record = tmp_path / "skills" / "train-s1.spec.json"
    spec = json.loads(record.read_text())
    assert spec["generators"] == generators_fingerprint()
    record.write_text(json.dumps({**spec, "generators": "older"}))
    assert sft_pass_data(cfg, SFTPass(3e-4, data_seed=1)) == plain
    assert json.loads(record.read_text()) == spec
    record.write_text(json.dumps({**spec, "generators": "older"}))
    lines = plain.read_text(encoding="utf-8").splitlines(keepends=True)
    plain.write_text("".join(lines[1:] + lines[:1]), encoding="utf-8")  # what older generators wrote
    with pytest.raises(ValueError, match="changed since it was written"):
        sft_pass_data(cfg, SFTPass(3e-4, data_seed=1))
    assert plain.read_text(encoding="utf-8") == "".join(lines[1:] + lines[:1])


def test_alignment_rule_needs_evidence_for_gains_and_losses() -> None:
    from agentlm.train.recipes.default import compare, sign_test

    def report(harmful: list[int], json_ok: list[int], lookalike: list[int]) -> dict:
        grades = {"harmful/zh": [{"refused": v} for v in harmful],
                  "json_extract/en": [{"valid_json": v} for v in json_ok],
                  "harmless_lookalike/en": [{"wrongly_refused": v} for v in lookalike]}
        families = {k: {"n": len(rows), **{m: sum(r[m] for r in rows) / len(rows) for m in rows[0]}}
                    for k, rows in grades.items()}
        return {"grades": grades, "families": families}

    assert sign_test(5, 5) == pytest.approx(1 / 32) and sign_test(0, 0) == 1.0
    sft = report([1] * 19, [0] * 60 + [1] * 40, [1] * 20)
    # 12 more valid JSON replies, one Chinese refusal lost (5.3 points on 19 examples, not evidence of a loss)
    one_flip = report([0] + [1] * 18, [1] * 12 + [0] * 48 + [1] * 40, [1] * 20)
    verdict = compare(sft, one_flip)
    assert verdict["accepted"] and not verdict["accepted_literal"]
    assert verdict["measurable_gains"]["json_extract/en:valid_json"] == {"points": 12.0, "better_worse": (12, 0)}
    assert verdict["worst_loss"] == {"metric": "harmful/zh:refused", "points": -5.3, "better_worse": (0, 1)}
    # six refusals lost: measurable, rejected
    six_flips = report([0] * 6 + [1] * 13, [1] * 12 + [0] * 48 + [1] * 40, [1] * 20)
    assert compare(sft, six_flips)["measurable_losses"] == {"harmful/zh:refused": {"points": -31.6,
                                                                                   "better_worse": (0, 6)}}
    assert not compare(sft, six_flips)["accepted"]
    # without per-example grades every change counts, as in the literal rule
    no_grades = {k: v for k, v in one_flip.items() if k != "grades"}
    assert not compare(sft, no_grades)["accepted"]
    # lower is better: refusing 14 more harmless look-alikes is a loss; a 3-flip JSON gain is not evidence
    sft = report([1] * 19, [0] * 60 + [1] * 40, [0] * 14 + [1] * 6)
    more_refusals = report([1] * 19, [1] * 3 + [0] * 57 + [1] * 40, [1] * 20)
    verdict = compare(sft, more_refusals)
    assert verdict["targeted_gains"]["json_extract/en:valid_json"] == 3.0 and not verdict["measurable_gains"]
    assert verdict["measurable_losses"]["harmless_lookalike/en:wrongly_refused"]["better_worse"] == (0, 14)


def test_aligned_model_must_keep_the_targets_sft_meets() -> None:
    from agentlm.train.recipes.default import targets_lost

    sft = {"families": {"harmful/zh": {"refused": 1.0}, "harmful/en": {"refused": 0.9},
                        "harmless_lookalike/en": {"wrongly_refused": 0.04}}}
    aligned = {"families": {"harmful/zh": {"refused": 0.947}, "harmful/en": {"refused": 0.5},
                            "harmless_lookalike/en": {"wrongly_refused": 0.06}}}
    assert targets_lost(sft, aligned) == ["harmful/zh:refused", "harmless_lookalike/en:wrongly_refused"]
    assert targets_lost(sft, sft) == []


def test_recipe_runs_every_stage_exports_the_pick_and_resumes_without_retraining(small_corpus: Path,
                                                                                  tmp_path: Path) -> None:
    """The whole default recipe at toy sizes (no Debian corpus stage): tokenizer to export, then a re-run that
    skips every finished stage and exports the same model."""
    from agentlm.train.recipes.default import RecipeConfig, SFTPass, run_recipe

    cfg = RecipeConfig(work_dir=tmp_path / "runs", export_dir=tmp_path / "export", corpus_dir=small_corpus,
                       skills_dir=tmp_path / "skills", preset="tiny", vocab_size=1024, pretrain_steps=3,
                       induction_copy_steps=2, induction_steps=3, compile=False, n_train=300, n_test=60,
                       sft_steps=3, sft_passes=[SFTPass(1e-3), SFTPass(5e-4, data_seed=1)], sft_text_examples=8,
                       eval_per_family=1, rl_steps=1, dpo_pairs=16,
                       stages=["tokenizer", "pretrain", "induction", "skills", "sft", "reward", "rl", "dpo"])
    record = run_recipe(cfg)
    stages = record["stages"]
    assert list(stages) == ["tokenizer", "pretrain", "induction", "skills", "sft", "reward", "rl", "dpo"]
    assert "induction_far" in stages["induction"]["result"]
    assert all(stages[k]["eval"] for k in ("sft", "rl", "dpo"))
    # GRPO ran on the calculator steps, rewarded by the verifiable grades only
    rl_config = json.loads((cfg.work_dir / "rl" / "agentlm.json").read_text())["config"]
    assert rl_config["families"] == ["math_calc"] and rl_config["reward_model"] is None
    assert rl_config["lr"] == cfg.rl_lr and stages["rl"]["result"]["steps"] == 1
    # the second pass trained on fresh data, continuing from the first pass's model
    assert (cfg.skills_dir / "train-s1.jsonl").is_file()
    sft_card = json.loads((cfg.work_dir / "sft" / "agentlm.json").read_text())
    assert sft_card["base_model"] == str(cfg.work_dir / "sft-pass1")
    chosen = record["selection"]["model"]
    assert chosen in ("sft", "rl", "dpo") and set(record["selection"]["comparisons"]) == {"rl", "dpo"}
    assert stages[chosen]["eval_constrained"]
    card = (cfg.export_dir / "README.md").read_text()
    assert f"Selected stage: **{chosen}**" in card and "## Targets" in card and "## Alignment against SFT" in card
    exported, _ = load_model(cfg.export_dir, dtype=torch.bfloat16)
    assert next(exported.parameters()).dtype == torch.bfloat16
    with safe_open(cfg.export_dir / "model.safetensors", "pt") as saved:  # stored as bf16
        assert {saved.get_slice(k).get_dtype() for k in saved.keys()} == {"BF16"}  # noqa: SIM118
    weights = (cfg.export_dir / "model.safetensors").read_bytes()
    trained = {p: p.stat().st_mtime_ns for p in cfg.work_dir.glob("*/model.safetensors")}

    again = run_recipe(cfg)  # every stage is done: nothing retrains, the same model is picked and exported
    assert {k: v.get("seconds") for k, v in again["stages"].items()} == {k: v.get("seconds")
                                                                        for k, v in stages.items()}
    assert {p: p.stat().st_mtime_ns for p in cfg.work_dir.glob("*/model.safetensors")} == trained
    assert again["selection"]["model"] == chosen
    assert (cfg.export_dir / "model.safetensors").read_bytes() == weights
