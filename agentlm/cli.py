"""The `agentlm` command: a thin shell over the Python API.

    agentlm data build-corpus PATH... --out data/corpus
    agentlm train tokenizer --corpus data/corpus --out runs/tokenizer
    agentlm train pretrain --corpus data/corpus --tokenizer runs/tokenizer --preset small --out runs/small
    agentlm generate --model runs/small "Once upon a time"
    agentlm ask "What is (82 + 30) * 25?" --json          # the agent (the shipped model by default)
    agentlm index add docs/ --index docs                  # a retrieval index, then: ask ... --index docs
    agentlm ui                                            # the chat UI;  agentlm serve: the OpenAI-compatible API

Every command prints `--help` with examples; heavy libraries are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_build_corpus(args: argparse.Namespace) -> int:
    from agentlm.data.corpus import CorpusConfig, build_corpus, read_sources

    inputs, exclude = [Path(p) for p in args.inputs], list(args.exclude or [])
    if args.sources_file:
        listed, excluded = read_sources(Path(args.sources_file))
        inputs, exclude = inputs + listed, exclude + excluded
    if not inputs:
        raise SystemExit("error: give at least one input path (or --sources-file)")
    report = build_corpus(CorpusConfig(inputs=inputs, exclude=exclude, out_dir=Path(args.out),
                                       val_fraction=args.val_fraction, min_chars=args.min_chars,
                                       near_dup_threshold=args.near_dup_threshold, seed=args.seed,
                                       max_docs=args.max_docs))
    md = Path(args.out) / "report.md"
    print(md.read_text() if md.is_file() else json.dumps(report, indent=2))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from agentlm.data.validate import report_markdown, validate_file

    # A directory, not a loaded tokenizer: from a model directory the limit is the model's context window.
    report = validate_file(args.file, tokenizer=args.tokenizer, context_limit=args.context, fmt=args.format,
                           tokens_per_second=args.tokens_per_second)
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else report_markdown(report))
    return 0 if report.ok else 1


def _cmd_train_tokenizer(args: argparse.Namespace) -> int:
    from agentlm.data.corpus import iter_corpus_texts
    from agentlm.model.tokenizer import bytes_per_token, train_tokenizer

    tok = train_tokenizer(iter_corpus_texts(Path(args.corpus), "train"), vocab_size=args.vocab_size,
                          min_frequency=args.min_frequency, out_dir=Path(args.out))
    by_lang: dict[str, list[str]] = {}
    for line in (Path(args.corpus) / "val.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        by_lang.setdefault(row.get("lang", "other"), []).append(row["text"])
    stats = {"vocab_size": len(tok), "bytes_per_token": {
        lang: round(bytes_per_token(tok, texts[:500]), 3) for lang, texts in sorted(by_lang.items())}}
    (Path(args.out) / "stats.json").write_text(json.dumps(stats, indent=2))
    print(f"tokenizer saved to {args.out}")
    print("| language | bytes per token (validation) |\n|---|---|")
    for lang, bpt in stats["bytes_per_token"].items():
        print(f"| {lang} | {bpt} |")
    return 0


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from agentlm.train.pretrain import PretrainConfig, pretrain

    cfg = PretrainConfig(corpus=args.corpus, tokenizer=args.tokenizer, out_dir=args.out, preset=args.preset,
                         init_from=args.init_from, context=args.context, batch_size=args.batch_size,
                         grad_accum=args.grad_accum, max_steps=args.max_steps, max_minutes=args.max_minutes,
                         lr=args.lr, warmup_steps=args.warmup_steps, weight_decay=args.weight_decay,
                         copy_fraction=args.copy_fraction, copy_warmup_steps=args.copy_warmup_steps,
                         copy_far_from=args.copy_far_from, precision=args.precision,
                         compile=not args.no_compile and not args.deepspeed,
                         deepspeed=args.deepspeed, eval_interval=args.eval_interval,
                         eval_batches=args.eval_batches, save_interval=args.save_interval, seed=args.seed,
                         progress=not args.no_progress)
    result = pretrain(cfg)
    if int(__import__("os").environ.get("RANK", "0")) == 0:
        print(json.dumps(result, indent=2))
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from agentlm.model.generate import DecodingConfig, generate, stream
    from agentlm.model.loading import load_model

    model, tokenizer = load_model(args.model, gguf_file=args.gguf_file)
    prompt: str | list[dict] = [{"role": "user", "content": args.prompt}] if args.chat else args.prompt
    cfg = DecodingConfig(max_new_tokens=args.max_new_tokens, strategy=args.strategy, temperature=args.temperature,
                         top_k=args.top_k, top_p=args.top_p, repetition_penalty=args.repetition_penalty,
                         num_beams=args.num_beams, n=args.n, stop=args.stop or [], seed=args.seed)
    if args.stream:
        for piece in stream(model, tokenizer, prompt, cfg):
            print(piece, end="", flush=True)
        print()
        return 0
    outs = generate(model, tokenizer, prompt, cfg)
    if args.json:
        print(json.dumps({"prompt": args.prompt, "completions": outs}, ensure_ascii=False, indent=2))
    else:
        for i, text in enumerate(outs):
            if len(outs) > 1:
                print(f"--- sample {i + 1} ---")
            print(text)
    return 0


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentlm", formatter_class=_Formatter, description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    data = groups.add_parser("data", help="build and check datasets", formatter_class=_Formatter)
    data_cmds = data.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    p = data_cmds.add_parser(
        "build-corpus", formatter_class=_Formatter,
        help="clean, deduplicate and split raw text into a pretraining corpus",
        description="Read txt/md/rst/html/man pages/dictionaries from files and folders, normalise, filter, "
                    "remove exact and near duplicates (MinHash), split off validation, write a report.\n\n"
                    "example:\n  bash scripts/fetch_corpus_sources.sh   # installs Debian text, writes "
                    "data/sources.txt\n  agentlm data build-corpus --sources-file data/sources.txt --out data/corpus")
    p.add_argument("inputs", nargs="*", help="files or folders of raw text")
    p.add_argument("--sources-file", help="a file listing one input path per line (!GLOB lines exclude)")
    p.add_argument("--exclude", action="append", help="glob of file names or paths to skip (repeatable)")
    p.add_argument("--out", required=True, help="corpus directory to write")
    p.add_argument("--val-fraction", type=float, default=0.02)
    p.add_argument("--min-chars", type=int, default=200)
    p.add_argument("--near-dup-threshold", type=float, default=0.8, help="MinHash Jaccard threshold")
    p.add_argument("--max-docs", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_build_corpus)

    p = data_cmds.add_parser(
        "validate", formatter_class=_Formatter,
        help="check a training-data JSONL file (format, tool calls, tokens, epochs, time estimate)",
        description="Check SFT / preference data as OpenAI's fine-tuning data-preparation guide does: every\n"
                    "error with its line number, example statistics, tokens per example through the chat\n"
                    "template, examples over the context limit, the automatic epoch count, billed tokens and\n"
                    "an estimate of the training time. Exit code 0 if the file is valid, 1 if not.\n\n"
                    "examples:\n  agentlm data validate data/sft/train.jsonl\n"
                    "  agentlm data validate data/dpo/train.jsonl --tokenizer runs/tokenizer --context 512")
    p.add_argument("file", help="JSONL file: chat, prompt_completion, preference (TRL) or openai_dpo rows")
    p.add_argument("--tokenizer", default=None, help="tokenizer directory; without one, token statistics are skipped")
    p.add_argument("--context", type=int, default=None,
                   help="context limit in tokens; None: the model's (--tokenizer a model directory), else the "
                        "tokenizer's")
    p.add_argument("--format", default=None, choices=["chat", "prompt_completion", "preference", "openai_dpo"],
                   help="expected format; None: that of most rows")
    p.add_argument("--tokens-per-second", type=float, default=2000.0,
                   help="training throughput assumed for the time estimate; pass a measured value")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_validate)

    train = groups.add_parser("train", help="train tokenizers and models", formatter_class=_Formatter)
    train_cmds = train.add_subparsers(dest="command", required=True, metavar="STAGE")
    p = train_cmds.add_parser(
        "tokenizer", formatter_class=_Formatter, help="train a byte-level BPE tokenizer on a corpus",
        description="example:\n  agentlm train tokenizer --corpus data/corpus --vocab-size 8192 --out runs/tokenizer")
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--vocab-size", type=int, default=8192)
    p.add_argument("--min-frequency", type=int, default=2)
    p.set_defaults(func=_cmd_train_tokenizer)

    p = train_cmds.add_parser(
        "pretrain", formatter_class=_Formatter, help="pretrain a decoder-only model from scratch",
        description="Next-token pretraining on packed blocks with torch.compile, bf16 autocast where it pays,\n"
                    "AdamW + warmup + cosine decay, gradient accumulation and clipping; resumable.\n"
                    "Re-run the same command after a kill to resume exactly where the last checkpoint was.\n\n"
                    "examples:\n  agentlm train pretrain --corpus data/corpus --tokenizer runs/tokenizer "
                    "--preset base --max-steps 2000 --out runs/base\n"
                    "  torchrun --nproc_per_node=2 -m agentlm train pretrain ...   # DDP, same flags")
    p.add_argument("--corpus", required=True, help="corpus directory (train.jsonl, val.jsonl)")
    p.add_argument("--tokenizer", required=True, help="tokenizer directory")
    p.add_argument("--out", required=True, help="run directory (checkpoint, log, loss.png, final model)")
    p.add_argument("--preset", default="small", help="tiny | small | base | moe")
    p.add_argument("--init-from", default=None, help="continue pretraining this HF model dir instead")
    p.add_argument("--context", type=int, default=None, help="block length (default: the preset's)")
    p.add_argument("--batch-size", type=int, default=16, help="blocks per micro-batch per process")
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=1000)
    p.add_argument("--max-minutes", type=float, default=None, help="stop with a checkpoint after this long")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup-steps", type=int, default=50)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--copy-fraction", type=float, default=0.0,
                   help="share of blocks replaced by spans written 2-4 times (teaches copying from the context)")
    p.add_argument("--copy-warmup-steps", type=int, default=0,
                   help="train the first N steps on repeated spans only (forms induction heads early)")
    p.add_argument("--copy-far-from", type=int, default=None, metavar="STEP",
                   help="from this step on, repeated spans land anywhere in a block (copying from far back) "
                        "instead of back to back (where induction heads form); default: never")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="bf16 autocast or fp32; auto = bf16 where a quick measurement finds it faster")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (faster start, slower steps)")
    p.add_argument("--deepspeed", default=None, metavar="JSON",
                   help="train through DeepSpeed ZeRO with this config (e.g. configs/deepspeed/zero2.json)")
    p.add_argument("--eval-interval", type=int, default=100)
    p.add_argument("--eval-batches", type=int, default=16)
    p.add_argument("--save-interval", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_pretrain)

    p = groups.add_parser(
        "generate", formatter_class=_Formatter, help="generate text from a model",
        description="examples:\n  agentlm generate --model runs/base \"The Python interpreter\"\n"
                    "  agentlm generate --model runs/base --strategy sample --temperature 0.8 --top-p 0.9 -n 4 \"…\"\n"
                    "  agentlm generate --model PATH/TO/DIR --gguf-file SmolLM2-135M-Instruct.Q4_1.gguf "
                    "--chat \"What is 2+2?\"")
    p.add_argument("prompt")
    p.add_argument("--model", required=True, help="model dir, or a .gguf file")
    p.add_argument("--gguf-file", default=None, help="GGUF file name inside --model")
    p.add_argument("--chat", action="store_true", help="wrap the prompt as a user message (chat template)")
    p.add_argument("--strategy", default="greedy", choices=["greedy", "sample", "beam"])
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.add_argument("--num-beams", type=int, default=4)
    p.add_argument("-n", type=int, default=1, help="completions, sampled in one batched call")
    p.add_argument("--stop", action="append", help="stop string (repeatable)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--stream", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_generate)

    from agentlm.cli_posttrain import register

    eval_cmds = register(data_cmds, train_cmds, groups, _Formatter)
    # Each surface registers its own sub-commands (one line each).
    from agentlm.cli_serve import register as register_serve
    register_serve(groups, _Formatter)
    from agentlm.cli_ui import register as register_ui
    register_ui(groups, _Formatter)
    from agentlm.cli_index import register as register_index
    register_index(groups, _Formatter)
    from agentlm.cli_agent import register as register_agent
    register_agent(groups, _Formatter)
    from agentlm.cli_eval import register as register_eval
    register_eval(eval_cmds, _Formatter)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"agentlm: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
