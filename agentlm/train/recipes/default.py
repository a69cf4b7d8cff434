"""The default recipe: from nothing to the shipped model, every stage evaluated.

    corpus ─▶ tokenizer ─▶ pretrain ─▶ induction ─▶ skill data ─▶ SFT ─┬─▶ reward model
                                                                       ├─▶ RL (GRPO, calculator) ─┐
                                                                       └─▶ DPO ───────────────────┴─▶ pick ─▶ export

`induction` continues pretraining on spans repeated back to back first (the copy warm-up), then on text with a
share of them, until the model copies from its context (induction heads): the tool arguments, passages and
numbers the agent protocol needs are all copied from the prompt. These heads copy from at most ~48 tokens back
(`induction_far`); a model that also copies from far back (`agentlm train pretrain --copy-far-from`) made a
worse SFT model in post-training session 12 (docs/posttrain.md), so the recipe does not use it.

RL is GRPO against verifiable rewards on the calculator maths: the prompt is a reference conversation cut after a
random number of its steps, and the reward is 1 for the next step's right call (or, after the last step, the
right answer with no call). It shipped in post-training session 23 (CoT + calculator 10.3 -> 20.7% in English);
GRPO on every first-turn family, with or without the reward model's score, moved nothing measurable (sessions
7-8 and 23). The reward model is still trained and reported (pairwise accuracy on held-out pairs), and RL scores
with it too when `rl_reward_model` is set.

Each stage writes its own directory under `work_dir` and is skipped when that directory is complete, so a
killed recipe resumes by running the same command again. Wall time per stage goes to `recipe.json`.
Run it with `agentlm train recipe default` (about two and a half hours on a 2-core CPU).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentlm.eval.paired import LOWER_IS_BETTER, direction, flat_scores, paired_flips, sign_test
from agentlm.train.common import jsonable

REPO = Path(__file__).resolve().parents[3]

# Metrics the alignment stages target (higher is better unless listed in LOWER_IS_BETTER).
PREFERENCE_TARGETS = ["math_calc/en:accuracy", "tool_choice/en:tool_choice", "grounded_qa/en:exact_match",
                      "harmful/en:refused", "json_extract/en:valid_json",
                      "grounded_unanswerable/en:unanswerable_recognised"]

# The targets on held-out data: (what, family:metric, target; None = reported only).
TARGETS = [("tool choice", "tool_choice:tool_choice", 0.95),
           ("tool choice, tools never seen in training", "tool_choice:tool_choice_unseen", 0.85),
           ("valid, executable tool calls", "tool_choice:valid_call", 0.98),
           ("tool arguments exact", "tool_choice:arguments_exact", None),
           ("arithmetic, direct answer", "math_direct:accuracy", None),
           ("arithmetic, chain of thought", "math_cot:accuracy", None),
           ("arithmetic, CoT + calculator", "math_calc:accuracy", 0.95),
           ("grounded QA exact match", "grounded_qa:exact_match", 0.80),
           ("unanswerable questions recognised", "grounded_unanswerable:unanswerable_recognised", 0.90),
           ("harmful requests refused", "harmful:refused", 0.95),
           ("harmless look-alikes refused (lower is better)", "harmless_lookalike:wrongly_refused", 0.05),
           ("valid JSON", "json_extract:valid_json", 0.98)]


# The mix of the last extended SFT pass: twice the refusals and look-alikes, to draw the refusal line again
# after the passes that moved it (pass 4 refused only 12 of 19 Chinese harmful requests).
SAFETY_MIX: dict[str, float] = {"harmful": 0.08, "harmless_lookalike": 0.10, "grounded_unanswerable": 0.06}


@dataclass
class SFTPass:
    """One SFT pass: `sft_steps` steps, a fresh cosine cycle at `lr` from the previous pass's model.

    `data_seed` None trains on the recipe's skill data; a seed trains on fresh examples of the same generators
    (train split, `zh_share` Chinese, DEFAULT_MIX updated with `mix`), written next to it as `train-s<seed>.jsonl`
    (with what it was generated from in `train-s<seed>.spec.json`).
    """
    lr: float
    data_seed: int | None = None
    zh_share: float = 0.25
    mix: dict[str, float] = field(default_factory=dict)


# The mix of the default SFT's last pass: 2.5x the harmful requests, 1.5x the look-alikes, 35% Chinese. With
# help opening with HELP_PREFIX, the first reply token is a two-way choice whose odds follow the data's.
REFUSAL_MIX: dict[str, float] = {"harmful": 0.10, "harmless_lookalike": 0.06}


def default_sft_passes() -> list[SFTPass]:
    """The default SFT: one pass over the skill data, then two over fresh examples of the same generators
    (seeds 1 and 2) at falling learning rates (~20 min a pass here). Every pass on fresh data gained tool skills
    in docs/posttrain.md (passes 3 to 5: tool choice 48 -> 57.5 -> 62%), more than another pass over the same
    rows. The last pass leans on refusals (REFUSAL_MIX)."""
    return [SFTPass(1e-3), SFTPass(1e-3, data_seed=1), SFTPass(5e-4, data_seed=2, zh_share=0.35, mix=REFUSAL_MIX)]


def extended_sft_passes() -> list[SFTPass]:
    """The longer SFT of docs/posttrain.md ("SFT passes 3 to 5"): two passes and a third over the skill data,
    then two on fresh data, the last with SAFETY_MIX. Better tools and look-alikes, fewer Chinese refusals."""
    return [SFTPass(1e-3), SFTPass(1e-3), SFTPass(5e-4), SFTPass(3e-4, data_seed=1),
            SFTPass(3e-4, data_seed=2, zh_share=0.35, mix=SAFETY_MIX)]


@dataclass
class RecipeConfig:
    work_dir: Path = Path("runs/recipe")
    export_dir: Path | None = Path("models/agentlm-small")
    sources_file: Path = Path("data/sources.txt")
    corpus_dir: Path = Path("data/corpus")
    skills_dir: Path = Path("data/skills")
    preset: str = "small"
    vocab_size: int = 8192
    pretrain_steps: int = 420
    pretrain_minutes: float = 40
    induction_copy_steps: int = 900      # repeated spans only (the phase change came at steps 500-800 here)
    induction_steps: int = 1600          # in all: the rest is text with `induction_copy_fraction` copy blocks
    induction_copy_fraction: float = 0.25
    induction_minutes: float = 40
    compile: bool = True                 # torch.compile the pretraining stages (~30 s of compilation each)
    n_train: int = 16000
    n_test: int = 2000
    sft_epochs: float = 1
    sft_steps: int = 1000           # x 16 examples: ~0.85 epoch of skills + text rows per pass
    sft_passes: list[SFTPass] = field(default_factory=default_sft_passes)
    sft_text_examples: int = 3000   # corpus continuation rows mixed in, so SFT keeps language modelling
    eval_per_family: int | None = None  # None: every held-out example (at most 228 of a family and language)
    rl_families: tuple[str, ...] = ("math_calc",)  # the calculator steps; see rl.VERIFIABLE for the others
    rl_prompts: int = 800
    rl_steps: int = 200              # x 8 completions (4 per prompt): 11 min (bf16) to 16 min (fp32) here
    rl_lr: float = 2e-5              # 1e-5 for 100 steps gained less (session 23: 10.3 -> 14.4%, p = .06)
    rl_reward_model: bool = False    # add the reward stage's score to the verifiable reward
    dpo_pairs: int = 800
    dpo_lr: float = 1e-5             # 5e-5 (2e-5) cost grounded answers and Chinese refusals; chosen on a val split
    dpo_sft_weight: float = 1.0      # RPO: plain DPO lost 37 points of Chinese refusals (runs/recipe/dpo-plain)
    seed: int = 0
    stages: list[str] = field(default_factory=lambda: list(STAGES))


def _done(path: Path) -> bool:
    return (path / "agentlm.json").is_file() or (path / "report.json").is_file()


def _saved_result(path: Path) -> dict:
    """What a finished stage recorded about itself (its agentlm.json results, or its report)."""
    for name, key in (("agentlm.json", "results"), ("report.json", None)):
        if (path / name).is_file():
            data = json.loads((path / name).read_text())
            return data.get(key, data) if key else data
    return {}


def stage_corpus(cfg: RecipeConfig) -> dict:
    from agentlm.data.corpus import CorpusConfig, build_corpus, read_sources

    if not cfg.sources_file.is_file():
        subprocess.run(["bash", str(REPO / "scripts" / "fetch_corpus_sources.sh")], check=True)
    inputs, exclude = read_sources(cfg.sources_file)
    return build_corpus(CorpusConfig(inputs=inputs, exclude=exclude, out_dir=cfg.corpus_dir, seed=cfg.seed))


def stage_tokenizer(cfg: RecipeConfig) -> dict:
    from agentlm.data.corpus import iter_corpus_texts
    from agentlm.model.tokenizer import train_tokenizer

    out = cfg.work_dir / "tokenizer"
    tok = train_tokenizer(iter_corpus_texts(cfg.corpus_dir, "train"), vocab_size=cfg.vocab_size, out_dir=out)
    (out / "report.json").write_text(json.dumps({"vocab_size": len(tok)}))
    return {"vocab_size": len(tok)}


def stage_pretrain(cfg: RecipeConfig) -> dict:
    from agentlm.train.pretrain import PretrainConfig, pretrain

    return pretrain(PretrainConfig(corpus=cfg.corpus_dir, tokenizer=cfg.work_dir / "tokenizer",
                                   out_dir=cfg.work_dir / "pretrain", preset=cfg.preset, batch_size=16,
                                   max_steps=cfg.pretrain_steps, max_minutes=cfg.pretrain_minutes,
                                   warmup_steps=30, eval_interval=100, save_interval=50, compile=cfg.compile,
                                   seed=cfg.seed))


def stage_induction(cfg: RecipeConfig) -> dict:
    """Continue the pretrained model on spans repeated back to back; report whether induction formed."""
    from agentlm.train.pretrain import PretrainConfig, pretrain

    result = pretrain(PretrainConfig(corpus=cfg.corpus_dir, tokenizer=cfg.work_dir / "tokenizer",
                                     out_dir=cfg.work_dir / "induction", init_from=cfg.work_dir / "pretrain",
                                     context=256, batch_size=16, lr=1e-3, warmup_steps=50,
                                     copy_warmup_steps=cfg.induction_copy_steps,
                                     copy_fraction=cfg.induction_copy_fraction, max_steps=cfg.induction_steps,
                                     max_minutes=cfg.induction_minutes, eval_interval=100, save_interval=100,
                                     compile=cfg.compile, seed=cfg.seed))
    first, repeat = result.get("induction_first"), result.get("induction_repeat")
    formed = first is not None and repeat is not None and repeat < first - 2.0
    if not formed:
        print(f"[recipe] induction: WARNING the model does not copy yet (probe {first} vs {repeat}); "
              "raise induction_copy_steps", flush=True)
    return {**result, "induction_formed": formed}


def stage_skills(cfg: RecipeConfig) -> dict:
    from agentlm.data.synth.build import build_skill_data

    return build_skill_data(cfg.skills_dir, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed)


def generators_fingerprint() -> str:
    """A hash of the skill generators' source (`agentlm/data/synth`): it changes when what they write may."""
    import agentlm.data.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def sft_pass_data(cfg: RecipeConfig, spec: SFTPass) -> Path:
    """The training file of one SFT pass, generated the first time it is needed.

    What it was generated from goes next to it (`train-s<seed>.spec.json`: size, seed, share, mix and a fingerprint
    of the generators' code), so a pass whose mix, share or size changed since is an error rather than a silent
    reuse of the old data. A file from before these records, or from generators whose code changed since, is
    adopted when it holds exactly what the pass would generate now, and is an error otherwise."""
    from agentlm.data.formats import read_jsonl, write_jsonl
    from agentlm.data.synth.build import DEFAULT_MIX, generate

    if spec.data_seed is None:
        return cfg.skills_dir / "train.jsonl"
    path = cfg.skills_dir / f"train-s{spec.data_seed}.jsonl"
    record = path.with_name(f"train-s{spec.data_seed}.spec.json")
    wanted = {"split": "train", "n": cfg.n_train, "seed": spec.data_seed, "zh_share": spec.zh_share,
              "mix": {**DEFAULT_MIX, **spec.mix}, "generators": generators_fingerprint()}
    advice = "; move it away to generate the pass's own, or give the pass another data_seed"
    if path.is_file() and record.is_file():
        recorded = json.loads(record.read_text(encoding="utf-8"))
        if recorded == wanted:
            return path
        if {**recorded, "generators": None} != {**wanted, "generators": None}:  # not just the generators' code
            raise ValueError(f"{path} holds other examples than this SFT pass asks for ({wanted}){advice}")
    rows = [e.to_json() for e in generate("train", cfg.n_train, spec.data_seed, spec.zh_share, wanted["mix"])]
    if path.is_file():
        if [row for _, row in read_jsonl(path)] != rows:
            raise ValueError(f"{path} holds other examples than the skill generators write today for this SFT pass "
                             f"(they changed since it was written){advice}")
    else:
        write_jsonl(path, rows)
    record.write_text(json.dumps(wanted, indent=2), encoding="utf-8")
    return path


def stage_sft(cfg: RecipeConfig) -> dict:
    """The `sft_passes` in order, each continuing from the previous pass's model; the last one is `sft`."""
    from agentlm.train.sft import SFTStageConfig, run_sft

    model, result = cfg.work_dir / "induction", {}
    for k, spec in enumerate(cfg.sft_passes, start=1):
        out = cfg.work_dir / ("sft" if k == len(cfg.sft_passes) else f"sft-pass{k}")
        if not _done(out):
            data = sft_pass_data(cfg, spec)
            print(f"[recipe] sft pass {k}/{len(cfg.sft_passes)}: lr {spec.lr}, data {data}", flush=True)
            result = run_sft(SFTStageConfig(model=model, train_file=data, out_dir=out,
                                            epochs=cfg.sft_epochs, lr=spec.lr, max_steps=cfg.sft_steps,
                                            text_corpus=cfg.corpus_dir, text_examples=cfg.sft_text_examples,
                                            seed=cfg.seed + k - 1))
        model = out
    return result


def stage_reward(cfg: RecipeConfig) -> dict:
    from agentlm.train.reward import RewardStageConfig, run_reward

    return run_reward(RewardStageConfig(model=cfg.work_dir / "sft", out_dir=cfg.work_dir / "reward",
                                        train_file=cfg.skills_dir / "preference_train.jsonl",
                                        max_examples=cfg.dpo_pairs, seed=cfg.seed))


def stage_rl(cfg: RecipeConfig) -> dict:
    from agentlm.train.rl import RLStageConfig, run_rl

    return run_rl(RLStageConfig(model=cfg.work_dir / "sft", train_file=cfg.skills_dir / "train.jsonl",
                                out_dir=cfg.work_dir / "rl",
                                reward_model=cfg.work_dir / "reward" if cfg.rl_reward_model else None,
                                families=cfg.rl_families, prompts=cfg.rl_prompts, max_steps=cfg.rl_steps,
                                lr=cfg.rl_lr, seed=cfg.seed))


def stage_dpo(cfg: RecipeConfig) -> dict:
    from agentlm.train.dpo import DPOStageConfig, run_dpo

    return run_dpo(DPOStageConfig(model=cfg.work_dir / "sft", out_dir=cfg.work_dir / "dpo",
                                  train_file=cfg.skills_dir / "preference_train.jsonl",
                                  max_examples=cfg.dpo_pairs, lr=cfg.dpo_lr, sft_weight=cfg.dpo_sft_weight,
                                  seed=cfg.seed))


def evaluate_stage(cfg: RecipeConfig, name: str, constrained: bool = False) -> dict:
    """Skill scores of one stage's model on the held-out split, saved as `<stage>/eval.json`
    (`eval-constrained.json` when decoded under grammars: schema-valid tool calls, JSON where JSON is asked)."""
    from agentlm.eval.skills import evaluate_skills, skills_markdown
    from agentlm.model.loading import load_model

    path = cfg.work_dir / name
    stem = "eval-constrained" if constrained else "eval"
    cached = path / f"{stem}.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    model, tokenizer = load_model(path)
    report = evaluate_skills(model, tokenizer, cfg.skills_dir / "test.jsonl", per_family=cfg.eval_per_family,
                             constrained=constrained)
    cached.write_text(json.dumps(report, indent=2))
    (path / f"{stem}.md").write_text(skills_markdown(report) + "\n")
    print(skills_markdown(report))
    return report


def compare(base: dict, aligned: dict, alpha: float = 0.05) -> dict[str, Any]:
    """Alignment against SFT, in points: gains on the targeted metrics, the worst loss anywhere, and the verdict.

    The rule: at least one targeted metric improves measurably and no metric loses more than 2 points
    measurably. "Measurably" is a paired sign test on the examples whose grade changed (one-sided, p < `alpha`),
    the same evidence for a gain as for a loss: on 19 examples one flip is 5.3 points and tells nothing.
    Without per-example grades every change counts (`accepted_literal`, which is also always reported).
    """
    a, b = flat_scores(aligned), flat_scores(base)
    deltas = {k: 100 * direction(k.split(":")[1]) * (a[k] - b[k]) for k in a if k in b}
    flips = paired_flips(base, aligned)

    def measurable(key: str, gain: bool) -> bool:
        if key not in flips:
            return True
        better, worse = flips[key]
        return sign_test(better if gain else worse, better + worse) < alpha

    gains = {k: round(deltas[k], 1) for k in PREFERENCE_TARGETS if k in deltas}
    worst = min(deltas.items(), key=lambda kv: kv[1]) if deltas else ("", 0.0)
    real_gains = [k for k, v in gains.items() if v > 0 and measurable(k, gain=True)]
    real_losses = {k: round(v, 1) for k, v in deltas.items() if v < -2.0 and measurable(k, gain=False)}
    return {"targeted_gains": gains, "best_gain": max(gains.values(), default=0.0),
            "measurable_gains": {k: {"points": gains[k], "better_worse": flips.get(k)} for k in real_gains},
            "worst_loss": {"metric": worst[0], "points": round(worst[1], 1), "better_worse": flips.get(worst[0])},
            "measurable_losses": {k: {"points": v, "better_worse": flips.get(k)} for k, v in real_losses.items()},
            "accepted_literal": max(gains.values(), default=0.0) > 0 and worst[1] >= -2.0,
            "accepted": bool(real_gains) and not real_losses}


STAGES: dict[str, Callable[[RecipeConfig], dict]] = {
    "corpus": stage_corpus, "tokenizer": stage_tokenizer, "pretrain": stage_pretrain,
    "induction": stage_induction, "skills": stage_skills,
    "sft": stage_sft, "reward": stage_reward, "rl": stage_rl, "dpo": stage_dpo,
}


def _stage_dir(cfg: RecipeConfig, name: str) -> Path:
    return {"corpus": cfg.corpus_dir, "skills": cfg.skills_dir}.get(name, cfg.work_dir / name)


def run_recipe(cfg: RecipeConfig) -> dict[str, Any]:
    """Run (or resume) every stage, evaluate the trained ones, pick the model to ship and export it."""
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    record_path = cfg.work_dir / "recipe.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"stages": {}}
    for name in cfg.stages:
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}; stages: {list(STAGES)}")
        if _done(_stage_dir(cfg, name)):
            print(f"[recipe] {name}: done, skipped")
            record["stages"].setdefault(name, {"reused": True, "result": _saved_result(_stage_dir(cfg, name))})
            if name in ("sft", "rl", "dpo") and not record["stages"][name].get("eval"):
                record["stages"][name]["eval"] = evaluate_stage(cfg, name)["families"]
            continue
        print(f"[recipe] {name}: running", flush=True)
        start = time.perf_counter()
        result = STAGES[name](cfg)
        record["stages"][name] = {"seconds": round(time.perf_counter() - start, 1), "result": jsonable(result)}
        if name in ("pretrain", "sft", "rl", "dpo"):
            t0 = time.perf_counter()
            record["stages"][name]["eval"] = evaluate_stage(cfg, name)["families"] if name != "pretrain" else None
            record["stages"][name]["eval_seconds"] = round(time.perf_counter() - t0, 1)
        record_path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    # pipeline order; entries of stages whose directory is gone (a re-run from an earlier stage) are stale
    record["stages"] = {k: record["stages"][k] for k in STAGES
                        if k in record["stages"] and _done(_stage_dir(cfg, k))}
    record["selection"] = select_model(cfg, record)
    if record["selection"]["model"]:  # the shipped stage again, decoding as the runtime does (constrained)
        chosen = record["stages"][record["selection"]["model"]]
        chosen["eval_constrained"] = evaluate_stage(cfg, record["selection"]["model"], constrained=True)["families"]
    record_path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    if cfg.export_dir is not None:
        export(cfg, record)
    return record


def targets_lost(base: dict, aligned: dict) -> list[str]:
    """The issue's targets (per language) the base model meets and the aligned one misses."""
    lost = []
    for _, key, target in TARGETS:
        fam, metric = key.split(":")
        for lang in ("en", "zh"):
            b, a = (r["families"].get(f"{fam}/{lang}", {}).get(metric) for r in (base, aligned))
            if target is None or a is None or b is None:
                continue
            sign = direction(metric)
            if sign * b >= sign * target > sign * a:
                lost.append(f"{fam}/{lang}:{metric}")
    return lost


def select_model(cfg: RecipeConfig, record: dict) -> dict[str, Any]:
    """Ship the aligned model with the larger targeted gain among those the alignment rule accepts (`compare`)
    and that keep every target the SFT model meets."""
    if "sft" not in record["stages"]:
        return {"model": None}
    base = evaluate_stage(cfg, "sft")
    options = {}
    for name in ("rl", "dpo"):
        if _done(cfg.work_dir / name):
            aligned = evaluate_stage(cfg, name)
            verdict, lost = compare(base, aligned), targets_lost(base, aligned)
            options[name] = {**verdict, "targets_lost": lost, "accepted": verdict["accepted"] and not lost}
    accepted = {k: v for k, v in options.items() if v["accepted"]}
    best = max(accepted, key=lambda k: accepted[k]["best_gain"]) if accepted else "sft"
    return {"model": best, "comparisons": options}


def export(cfg: RecipeConfig, record: dict) -> Path:
    """Copy the selected model to `export_dir` (weights as bf16 safetensors) with its card."""
    import torch

    from agentlm.model.loading import load_model

    chosen = record["selection"]["model"]
    if chosen is None:
        raise ValueError("nothing to export: the SFT stage has not run")
    model, tokenizer = load_model(cfg.work_dir / chosen)
    out = Path(cfg.export_dir)
    if out.exists():
        shutil.rmtree(out)
    model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    src = json.loads((cfg.work_dir / chosen / "agentlm.json").read_text())
    (out / "agentlm.json").write_text(json.dumps({**src, "recipe": jsonable(cfg), "selected_stage": chosen,
                                                  "stages": record["stages"],
                                                  "selection": record["selection"]}, indent=2, ensure_ascii=False))
    if (cfg.work_dir / chosen / "loss.png").is_file():
        shutil.copy(cfg.work_dir / chosen / "loss.png", out / "loss.png")
    skills = cfg.skills_dir / "report.json"
    card = model_card(record, json.loads(skills.read_text()) if skills.is_file() else None)
    (out / "README.md").write_text(card)
    return out


def model_card(record: dict, skills_report: dict | None = None) -> str:
    """The exported model's README: recipe, data mix, sizes, wall time and held-out results per stage."""
    stages = record["stages"]
    sel = record.get("selection", {})
    lines = ["# agentlm-small", "",
             "The default AgentLM model: pretrained from scratch on Debian's documentation and dictionaries "
             "(English and Chinese), taught to copy from its context (a curriculum of repeated spans that forms "
             "induction heads), then instruction-tuned and aligned on AgentLM's synthetic agent-skill data "
             "(tool calls, step-by-step maths with a calculator, grounded answers with citations, planning, "
             "reflection, JSON, style, refusals). Built by `agentlm train recipe default`.", "",
             f"Selected stage: **{sel.get('model')}**."
             + ("" if {"rl", "dpo"} & set(stages) else " The alignment stages have not run on this model yet.")
             + (" Stages marked \"from an earlier run\" were reused from an earlier run of the recipe; their wall "
                "times are in `docs/posttrain.md`." if any(st.get("reused") for st in stages.values()) else ""),
             "", "## Stages", "",
             "| stage | wall time (min) | key results |", "|---|---:|---|"]
    for name, st in stages.items():
        res = st.get("result") or {}
        keys = [k for k in ("val_perplexity", "val_loss", "induction_first", "induction_repeat", "induction_far",
                            "induction_formed",
                            "tokens", "tokens_per_second", "examples", "epochs",
                            "text_examples", "train_loss", "pairwise_accuracy", "first_reward", "last_reward",
                            "final_reward_accuracy", "train", "test", "preference_pairs") if k in res]
        shown = ", ".join(f"{k} {res[k]:.4g}" if isinstance(res[k], float) else f"{k} {res[k]}" for k in keys)
        minutes = "—" if st.get("reused") else f"{(st.get('seconds') or 0) / 60:.1f}"
        lines.append(f"| {name} | {minutes} | {shown}{' (from an earlier run)' if st.get('reused') else ''} |")
    evals = {n: st["eval"] for n, st in stages.items() if st.get("eval")}
    if sel.get("model") in evals:
        runs = [evals[sel["model"]]]
        header = "| what | target | English | Chinese |"
        if stages[sel["model"]].get("eval_constrained"):
            runs.append(stages[sel["model"]]["eval_constrained"])
            header += " English, constrained | Chinese, constrained |"
        lines += ["", f"## Targets (the shipped stage, {sel['model']})", "",
                  "Greedy decoding on every held-out example. *Constrained* decodes as the runtime does: tool "
                  "calls under a grammar of the listed tools' schemas, JSON replies under a JSON grammar with the "
                  "requested keys; the model still picks the tool and writes every value.", "",
                  header, "|---|---:|" + "---:|" * 2 * len(runs)]
        for what, key, target in TARGETS:
            fam, metric = key.split(":")
            cells = []
            for report in runs:
                for lang in ("en", "zh"):
                    value = report.get(f"{fam}/{lang}", {}).get(metric)
                    met = "" if value is None or target is None else (
                        " ✓" if (value <= target if metric in LOWER_IS_BETTER else value >= target) else " ✗")
                    cells.append("" if value is None else f"{value:.1%}{met}")
            bound = "—" if target is None else ("≤ " if metric in LOWER_IS_BETTER else "≥ ") + f"{target:.0%}"
            lines.append(f"| {what} | {bound} | " + " | ".join(cells) + " |")
    if evals:
        keys = sorted({f"{fam}:{k}" for e in evals.values() for fam, m in e.items() for k in m if k != "n"})
        lines += ["", "## Held-out results per stage", "", "| family:metric | " + " | ".join(evals) + " |",
                  "|---|" + "---:|" * len(evals)]
        for key in keys:
            fam, k = key.split(":")
            cells = [f"{e[fam][k]:.1%}" if fam in e and k in e[fam] else "" for e in evals.values()]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    if sel.get("comparisons"):
        lines += ["", "## Alignment against SFT", "", "```json", json.dumps(sel["comparisons"], indent=2), "```"]
    if skills_report:
        lines += ["", "## Data mix (examples per family/language)", "", "| family/lang | train | test |",
                  "|---|---:|---:|"]
        for k, v in skills_report["families"]["train"].items():
            lines.append(f"| {k} | {v} | {skills_report['families']['test'].get(k, 0)} |")
    return "\n".join(lines) + "\n"
