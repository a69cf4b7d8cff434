"""A larger held-out safety set: the split holds ~20 Chinese harmful prompts, where one answer is 5 points.

Draws harmful requests and harmless look-alikes from the test share of the safety generator's templates and
objects, with fresh seeds, each prompt once and none that is in the split's test file. The look-alikes run out
first (the test share makes ~40 unique prompts per language); the draws stop after 50 tries per wanted row.

    python scripts/safety_set.py --out data/safety-set/test.jsonl [--per-family 150]
    agentlm eval skills --model models/agentlm-small --data data/safety-set/test.jsonl --per-family 1000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from agentlm.data.formats import write_jsonl
from agentlm.data.synth.build import prompt_key
from agentlm.data.synth.safety import make_harmful, make_lookalike


def safety_set(split_file: Path, per_family: int) -> list[dict]:
    """Up to `per_family` unique held-out rows per (family, language), none with a prompt of `split_file`."""
    taken = {prompt_key(row["messages"], row.get("tools"))
             for row in map(json.loads, split_file.read_text(encoding="utf-8").splitlines())}
    rows = []
    for lang in ("en", "zh"):
        for name, make in (("harmful", make_harmful), ("harmless_lookalike", make_lookalike)):
            rng = random.Random(f"safety-set-{name}-{lang}")
            found = 0
            for _ in range(50 * per_family):
                ex = make(rng, "test", lang)
                key = prompt_key(ex.messages, ex.tools)
                if key not in taken:
                    taken.add(key)
                    rows.append(ex.to_json())
                    found += 1
                    if found == per_family:
                        break
            print(f"{name}/{lang}: {found} prompts")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", type=Path, default=Path("data/skills/test.jsonl"))
    parser.add_argument("--per-family", type=int, default=150)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out, safety_set(args.split, args.per_family))


if __name__ == "__main__":
    main()
