"""The post-training part of the `agentlm` command: skill data, SFT, reward model, RL, DPO, recipes, skill eval.

    agentlm data synth --out data/skills
    agentlm train sft --model runs/recipe/pretrain --data data/skills/train.jsonl --out runs/sft
    agentlm train dpo --model runs/sft --data data/skills/preference_train.jsonl --out runs/dpo
    agentlm train recipe default
    agentlm eval skills --model models/agentlm-small
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _cmd_synth(args: argparse.Namespace) -> int:
    from agentlm.data.synth.build import build_skill_data, report_markdown

    report = build_skill_data(Path(args.out), n_train=args.train, n_test=args.test, seed=args.seed,
                              zh_share=args.zh_share)
    print(report_markdown(report))
    return 0


def _cmd_sft(args: argparse.Namespace) -> int:
    from agentlm.train.sft import SFTStageConfig, run_sft

    epochs = args.epochs if args.epochs == "auto" else float(args.epochs)
    run_sft(SFTStageConfig(model=Path(args.model), train_file=Path(args.data), out_dir=Path(args.out),
                           eval_file=Path(args.eval_data) if args.eval_data else None, gguf_file=args.gguf_file,
                           method=args.method, epochs=epochs, lr=args.lr, batch_size=args.batch_size,
                           grad_accum=args.grad_accum, sampling=args.sampling, max_length=args.max_length,
                           max_steps=args.max_steps,
                           lora_r=args.lora_r, precision=args.precision, seed=args.seed,
                           max_examples=args.max_examples,
                           text_corpus=Path(args.text_corpus) if args.text_corpus else None,
                           text_examples=args.text_examples))
    return 0


def _cmd_dpo(args: argparse.Namespace) -> int:
    from agentlm.train.dpo import DPOStageConfig, run_dpo

    run_dpo(DPOStageConfig(model=Path(args.model), train_file=Path(args.data), out_dir=Path(args.out),
                           epochs=args.epochs, lr=args.lr, beta=args.beta, sft_weight=args.sft_weight,
                           batch_size=args.batch_size,
                           max_steps=args.max_steps, precision=args.precision, seed=args.seed,
                           max_examples=args.max_examples, method=args.method, lora_r=args.lora_r))
    return 0


def _cmd_reward(args: argparse.Namespace) -> int:
    from agentlm.train.reward import RewardStageConfig, run_reward

    run_reward(RewardStageConfig(model=Path(args.model), train_file=Path(args.data), out_dir=Path(args.out),
                                 epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                                 max_steps=args.max_steps, precision=args.precision, seed=args.seed,
                                 max_examples=args.max_examples))
    return 0


def _cmd_rl(args: argparse.Namespace) -> int:
    from agentlm.train.rl import RLStageConfig, run_rl

    run_rl(RLStageConfig(model=Path(args.model), train_file=Path(args.data), out_dir=Path(args.out),
                         reward_model=Path(args.reward_model) if args.reward_model else None,
                         num_generations=args.num_generations, lr=args.lr, max_steps=args.max_steps,
                         batch_size=args.batch_size, precision=args.precision, seed=args.seed,
                         prompts=args.prompts, families=tuple(args.families) if args.families else None))
    return 0


def _cmd_recipe(args: argparse.Namespace) -> int:
    from agentlm.train.recipes.default import STAGES, RecipeConfig, run_recipe

    if args.name != "default":
        raise ValueError(f"unknown recipe {args.name!r}; recipes: default")
    cfg = RecipeConfig(work_dir=Path(args.work_dir), export_dir=Path(args.export) if args.export else None,
                       stages=args.stages.split(",") if args.stages else list(STAGES))
    record = run_recipe(cfg)
    print(json.dumps({k: {"seconds": v.get("seconds")} for k, v in record["stages"].items()}, indent=2))
    print(json.dumps(record.get("selection", {}), indent=2))
    return 0


def _cmd_peft_compare(args: argparse.Namespace) -> int:
    from agentlm.train.peft_compare import PeftCompareConfig, compare_methods, comparison_markdown

    cfg = PeftCompareConfig(model=Path(args.model), train_file=Path(args.data), test_file=Path(args.test_data),
                            out_dir=Path(args.out), methods=args.methods.split(","), max_steps=args.max_steps,
                            per_family=args.per_family)
    print(comparison_markdown(compare_methods(cfg), cfg))
    return 0


def _cmd_eval_skills(args: argparse.Namespace) -> int:
    from agentlm.eval.skills import evaluate_skills, load_examples, skills_markdown
    from agentlm.model.loading import load_model

    if args.select_tools and not args.constrained:
        raise SystemExit("--select-tools narrows the tool grammar: add --constrained")
    if args.select_tools < 0:
        raise SystemExit(f"--select-tools must be 0 (off) or a number of tools, got {args.select_tools}")
    load_examples(Path(args.data), families=args.families)  # a wrong family name fails before the model loads
    model, tokenizer = load_model(args.model, gguf_file=args.gguf_file)
    report = evaluate_skills(model, tokenizer, Path(args.data), per_family=args.per_family,
                             batch_size=args.batch_size, constrained=args.constrained, families=args.families,
                             lang=args.lang, select_tools=args.select_tools)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2) if args.json else skills_markdown(report))
    return 0


def _cmd_eval_skills_compare(args: argparse.Namespace) -> int:
    from agentlm.eval.seed_effects import load_reports, seed_effects, seed_effects_markdown

    if args.names and len(args.names) != len(args.base):
        raise SystemExit(f"--names: {len(args.names)} names for {len(args.base)} seeds")
    rows = seed_effects(load_reports(args.base), load_reports(args.new), alpha=args.alpha)
    print(json.dumps(rows, indent=2) if args.json else seed_effects_markdown(rows, args.names))
    return 0


def _common_training(p: argparse.ArgumentParser, *, lr: float, epochs: str | float, batch_size: int) -> None:
    p.add_argument("--model", required=True, help="model dir (ours or any Hugging Face causal LM)")
    p.add_argument("--data", required=True, help="training JSONL")
    p.add_argument("--out", required=True, help="output model dir (plain save_pretrained + agentlm.json)")
    p.add_argument("--epochs", default=epochs, type=type(epochs) if not isinstance(epochs, str) else str)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--max-steps", type=int, default=-1, help="stop after N optimizer steps (-1: run the epochs)")
    p.add_argument("--max-examples", type=int, default=None, help="use only the first N examples")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    p.add_argument("--seed", type=int, default=0)


def register(data_cmds, train_cmds, groups, formatter):
    """Add the post-training subcommands to the `data`, `train` and top-level parsers; returns the `eval` group."""
    p = data_cmds.add_parser(
        "synth", formatter_class=formatter, help="generate the agent-skill dataset (train/test, preference pairs)",
        description="Maths with steps and calculator calls, tool use over real and fictional tools, grounded QA "
                    "with citations,\nplanning, reflection, JSON extraction, style, identity, safety; English and "
                    "Chinese; train and test\ndisjoint in templates, entities and numbers.\n\n"
                    "example:\n  agentlm data synth --out data/skills --train 16000 --test 1200")
    p.add_argument("--out", required=True)
    p.add_argument("--train", type=int, default=16000)
    p.add_argument("--test", type=int, default=1200, help="test rows drawn; repeated prompts are dropped")
    p.add_argument("--zh-share", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_synth)

    p = train_cmds.add_parser(
        "sft", formatter_class=formatter, help="supervised fine-tuning on chat JSONL (full, LoRA, IA3, prefix, prompt)",
        description="Loss on assistant tokens only; invalid data is refused with line numbers.\n\nexamples:\n"
                    "  agentlm train sft --model runs/recipe/pretrain --data data/skills/train.jsonl --out runs/sft\n"
                    "  agentlm train sft --model $(python -c 'from agentlm.model.loading import smollm2_gguf_path as p;"
                    " print(p())') \\\n      --method lora --data data/skills/train.jsonl --out runs/smollm2-lora")
    _common_training(p, lr=1e-3, epochs="auto", batch_size=16)
    p.add_argument("--eval-data", default=None, help="chat JSONL for the validation loss")
    p.add_argument("--gguf-file", default=None)
    p.add_argument("--method", default="full", choices=["full", "lora", "ia3", "prefix", "prompt"])
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--sampling", default="group_by_length", choices=["group_by_length", "batch_rebalance", "random"],
                   help="how examples become batches: length-sorted runs of steps, or random examples every "
                        "optimizer step split by length into --grad-accum micro-batches (batch_rebalance), or random")
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--text-corpus", default=None,
                   help="corpus dir (train.jsonl) to cut text-continuation rows from, to keep language modelling")
    p.add_argument("--text-examples", type=int, default=0, help="how many continuation rows to mix in")
    p.set_defaults(func=_cmd_sft)

    p = train_cmds.add_parser("dpo", formatter_class=formatter, help="direct preference optimisation",
                              description="example:\n  agentlm train dpo --model runs/sft "
                                          "--data data/skills/preference_train.jsonl --out runs/dpo")
    _common_training(p, lr=5e-5, epochs=1.0, batch_size=8)
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--sft-weight", type=float, default=0.0,
                   help="weight of an SFT loss on the chosen replies (RPO); keeps what SFT taught")
    p.add_argument("--method", default="full", choices=["full", "lora"],
                   help="lora: adapters on every linear layer, the model without them as reference; merged at the end")
    p.add_argument("--lora-r", type=int, default=16)
    p.set_defaults(func=_cmd_dpo)

    p = train_cmds.add_parser("reward", formatter_class=formatter, help="train a reward model on preference pairs",
                              description="example:\n  agentlm train reward --model runs/sft "
                                          "--data data/skills/preference_train.jsonl --out runs/reward")
    _common_training(p, lr=1e-4, epochs=1.0, batch_size=8)
    p.set_defaults(func=_cmd_reward)

    p = train_cmds.add_parser(
        "rl", formatter_class=formatter, help="GRPO against verifiable rewards and a reward model",
        description="example:\n  agentlm train rl --model runs/sft --data data/skills/train.jsonl "
                    "--reward-model runs/reward --out runs/rl --max-steps 40")
    _common_training(p, lr=5e-6, epochs=1.0, batch_size=8)
    p.add_argument("--reward-model", default=None)
    p.add_argument("--num-generations", type=int, default=4)
    p.add_argument("--prompts", type=int, default=512, help="prompts drawn from the training file")
    p.add_argument("--families", nargs="+", default=None, metavar="FAMILY",
                   help="draw prompts from these verifiable families only (math_calc: the turn after a random "
                        "number of reference steps); default: every first-turn family")
    p.set_defaults(func=_cmd_rl)

    p = train_cmds.add_parser(
        "recipe", formatter_class=formatter, help="run a whole recipe (default: from nothing to the shipped model)",
        description="Stages: corpus, tokenizer, pretrain, induction, skills, sft, reward, rl, dpo; then the model "
                    "to ship is picked\nand exported. Finished stages are skipped, so re-running resumes.\n\n"
                    "example:\n  agentlm train recipe default")
    p.add_argument("name", choices=["default"])
    p.add_argument("--work-dir", default="runs/recipe")
    p.add_argument("--export", default="models/agentlm-small", help="where the selected model goes ('' = nowhere)")
    p.add_argument("--stages", default=None, help="comma-separated subset of stages")
    p.set_defaults(func=_cmd_recipe)

    p = train_cmds.add_parser(
        "peft-compare", formatter_class=formatter, help="full vs LoRA vs (IA)3 vs prefix vs prompt tuning, one budget",
        description="example:\n  agentlm train peft-compare --model runs/recipe/pretrain --data data/skills/train.jsonl"
                    " --out runs/peft")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--test-data", default="data/skills/test.jsonl")
    p.add_argument("--out", required=True)
    p.add_argument("--methods", default="full,lora,ia3,prefix,prompt")
    p.add_argument("--max-steps", type=int, default=150)
    p.add_argument("--per-family", type=int, default=15)
    p.set_defaults(func=_cmd_peft_compare)

    ev = groups.add_parser("eval", help="evaluate models", formatter_class=formatter)
    ev_cmds = ev.add_subparsers(dest="command", required=True, metavar="SUITE")
    p = ev_cmds.add_parser("skills", formatter_class=formatter, help="held-out agent-skill scores of a model",
                           description="examples:\n  agentlm eval skills --model models/agentlm-small "
                                       "--data data/skills/test.jsonl\n  agentlm eval skills --model runs/dpo "
                                       "--families harmful harmless_lookalike grounded_unanswerable")
    p.add_argument("--model", required=True)
    p.add_argument("--gguf-file", default=None)
    p.add_argument("--data", default="data/skills/test.jsonl")
    p.add_argument("--per-family", type=int, default=60)
    p.add_argument("--families", nargs="+", default=None, metavar="FAMILY",
                   help="evaluate only these skill families, e.g. harmful harmless_lookalike; None: all")
    p.add_argument("--lang", default=None, choices=["en", "zh"], help="evaluate only this language; None: both")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--constrained", action="store_true",
                   help="decode under grammars: tool calls valid against their schemas, JSON where JSON is asked")
    p.add_argument("--select-tools", type=int, default=0, metavar="K",
                   help="with --constrained: a reply to the user may call only the K listed tools that match the "
                        "request best (retrieval embedder); 0: any listed tool")
    p.add_argument("--out", default=None, help="write the JSON report here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval_skills)

    p = ev_cmds.add_parser(
        "skills-compare", formatter_class=formatter,
        help="a training change judged over several seeds: paired per-row flips, what counts",
        description="Skill reports (`agentlm eval skills --out`) of a base and a new recipe at the same seeds, in\n"
                    "the same order. An effect counts when it is measurable (one-sided sign test, p < alpha) at one\n"
                    "seed and goes the same way at every other.\n\nexample:\n"
                    "  agentlm eval skills-compare --base runs/a0/eval.json runs/a100/eval.json "
                    "--new runs/b0/eval.json runs/b100/eval.json --names 'seed 0' 'seed 100'")
    p.add_argument("--base", nargs="+", required=True, help="the base recipe's reports, one per seed")
    p.add_argument("--new", nargs="+", required=True, help="the new recipe's reports, same seeds, same order")
    p.add_argument("--names", nargs="+", default=None, help="a column name per seed (default run 1, run 2, ...)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval_skills_compare)
    return ev_cmds
