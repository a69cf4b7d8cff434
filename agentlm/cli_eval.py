"""The capacity-evaluation part of the `agentlm eval` command: one sub-command per suite, and `compare`.

    agentlm eval qa --model agentlm-small --limit 20 --out runs/eval/agentlm-small
    agentlm eval reasoning --model smollm2 --limit 10 --paths 1 3 5
    agentlm eval compare --models agentlm-small smollm2 runs/smollm2-lora --suites qa tools --limit 20 --out runs/eval
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def _split(values: list[str] | None) -> list[str] | None:
    """`a b`, `a,b` or both."""
    return None if values is None else [v for item in values for v in item.split(",") if v]


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """Suite options from the command line (those not given are left to the suites' defaults)."""
    opts = {"corpus": Path(args.corpus) if getattr(args, "corpus", None) else None,
            "max_chars": getattr(args, "max_chars", None), "datasets": _split(getattr(args, "datasets", None)),
            "strategies": _split(getattr(args, "strategies", None)),
            "paths": [int(p) for p in _split(getattr(args, "paths", None)) or []] or None,
            "index_dir": getattr(args, "index_dir", None)}
    return {k: v for k, v in opts.items() if v is not None}


def _cmd_suite(args: argparse.Namespace) -> int:
    from agentlm.eval.models import load_eval_model
    from agentlm.eval.report import markdown
    from agentlm.eval.suites import run_suite

    model = load_eval_model(args.model)
    out = Path(getattr(args, "out", None) or Path("runs/eval") / model.name)
    result = run_suite(args.suite, model, out, limit=args.limit, seed=args.seed, **_options(args))
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "items"}, ensure_ascii=False, indent=2))
    else:
        print(markdown(result))
        print(f"written: {', '.join(result['files'].values())}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    import sys

    from agentlm.eval.compare import compare, comparison_markdown
    from agentlm.eval.suites import SUITES

    suites = _split(getattr(args, "suites", None)) or list(SUITES)
    report = compare(_split(args.models) or [], suites, Path(args.out), limit=args.limit, seed=args.seed,
                     progress=lambda line: print(line, file=sys.stderr, flush=True), reuse=_split(args.reuse) or [],
                     **_options(args))
    print(json.dumps(report["rows"], ensure_ascii=False, indent=2) if args.json else comparison_markdown(report))
    return 0


def _suite_options(p: argparse.ArgumentParser, suite: str | None) -> None:
    """The options of one suite (all of them for `compare`)."""
    if suite in ("lm", None):
        p.add_argument("--corpus", default="data/corpus", help="corpus dir whose val.jsonl (lang field) is scored")
        p.add_argument("--max-chars", type=int, default=argparse.SUPPRESS,
                       help="characters kept per document (default 2000)")
    if suite in ("reasoning", None):
        p.add_argument("--datasets", nargs="+", default=argparse.SUPPRESS, help="gsm8k and/or math (default both)")
        p.add_argument("--strategies", nargs="+", default=argparse.SUPPRESS,
                       help="direct cot self_consistency react plan_execute (default all)")
        p.add_argument("--paths", nargs="+", default=argparse.SUPPRESS,
                       help="self-consistency paths (default 1 3 5 10 20)")
    if suite in ("rag", None):
        p.add_argument("--index-dir", default=argparse.SUPPRESS,
                       help="where the SQuAD index is built and reused (default: a temporary folder)")


def register(eval_cmds: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Add the suites and `compare` to the `agentlm eval` sub-commands."""
    from agentlm.eval.suites import HELP, SUITES

    for suite in SUITES:
        p = eval_cmds.add_parser(
            suite, formatter_class=formatter, help=HELP[suite],
            description=f"{HELP[suite]}.\nWrites {suite}.json, {suite}.md and {suite}.png to --out.\n\nexample:\n"
                        f"  agentlm eval {suite} --model agentlm-small --limit 20 --out runs/eval/agentlm-small")
        p.add_argument("--model", default="agentlm-small",
                       help="agentlm-small, smollm2, a model dir, a .gguf file or an OpenAI-compatible URL")
        p.add_argument("--limit", type=int, default=20, help="items per dataset (per language for lm)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--out", default=argparse.SUPPRESS, help="output folder (default runs/eval/MODEL)")
        p.add_argument("--json", action="store_true", help="print the result as JSON (without the items)")
        _suite_options(p, suite)
        p.set_defaults(func=_cmd_suite, suite=suite)

    p = eval_cmds.add_parser(
        "compare", formatter_class=formatter, help="the suites for several models side by side, with tokens/s",
        description="The same suites on the same items for each model, through the same agent runtime; one table.\n"
                    "Writes OUT/MODEL/SUITE.{json,md,png} and OUT/compare.{json,md,png}.\n\nexample:\n"
                    "  agentlm eval compare --models agentlm-small smollm2 runs/smollm2-lora "
                    "--suites qa tools alignment --limit 20 --out runs/eval/compare")
    p.add_argument("--models", nargs="+", required=True, help="model specs (as for --model)")
    p.add_argument("--suites", nargs="+", default=argparse.SUPPRESS, help="suites to run (default all)")
    p.add_argument("--limit", type=int, default=20, help="items per suite and dataset (per language for lm)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/eval/compare", help="output folder")
    p.add_argument("--reuse", nargs="+", default=[],
                   help="model specs whose results in OUT/compare.json (same items) are kept instead of re-run")
    p.add_argument("--json", action="store_true", help="print the table rows as JSON")
    _suite_options(p, None)
    p.set_defaults(func=_cmd_compare)
