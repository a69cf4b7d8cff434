#!/usr/bin/env bash
# Reproduce docs/evaluation.md: every capacity suite for the shipped model, then the same suites side by side
# for our model, SmolLM2-135M-Instruct (prompted) and SmolLM2 fine-tuned with our SFT (LoRA) on our skill data.
#
#   bash scripts/eval_all.sh                      # the sizes in docs/evaluation.md (~30 min, +16 to train the LoRA peer)
#   LIMIT=200 PEER_LIMIT=50 bash scripts/eval_all.sh
#   PEER_REASONING=1 bash scripts/eval_all.sh     # also reasoning for the peers (~2 min per question each)
#
# Sizes are small on purpose: this is a 2-core CPU and SmolLM2 decodes ~15 tokens/s here. Raise them for
# tighter numbers; every suite writes JSON, Markdown and a PNG under $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTLM=${AGENTLM:-.venv/bin/agentlm}
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/eval}
LIMIT=${LIMIT:-40}                      # items per suite for our model (documents per language for lm)
REASONING_LIMIT=${REASONING_LIMIT:-20}  # questions per reasoning dataset for our model (x 5 strategies, 20 paths)
PEER_LIMIT=${PEER_LIMIT:-20}            # items per suite in the side-by-side comparison
PEER_SUITES=${PEER_SUITES:-"lm generation qa tools rag alignment"}
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # a shared CPU: one thread per process is the fast setting
RUN="nice -n 10 $AGENTLM"

# 0. The fine-tuned peer, made only when missing: these are the settings of the run in runs/smollm2-lora
#    (the first 600 skill examples, one epoch, 75 LoRA steps of 8, ~15 min at ~150 tokens/s on 2 threads).
#    LORA_EXAMPLES / LORA_EPOCHS make a longer one.
if [ ! -f runs/smollm2-lora/agentlm.json ]; then
  OMP_NUM_THREADS=${LORA_THREADS:-2} $RUN train sft \
    --model "$($PY -c 'from agentlm.model.loading import smollm2_gguf_path as p; print(p())')" \
    --method lora --lr 4e-4 --batch-size 8 --max-examples "${LORA_EXAMPLES:-600}" --epochs "${LORA_EPOCHS:-1}" \
    --data data/skills/train.jsonl --out runs/smollm2-lora
fi

# 1. Every suite for the shipped model.
for suite in lm generation qa tools alignment; do
  $RUN eval "$suite" --model agentlm-small --limit "$LIMIT" --out "$OUT/agentlm-small"
done
$RUN eval rag --model agentlm-small --limit "$LIMIT" --out "$OUT/agentlm-small" --index-dir "$OUT/rag-index"
$RUN eval reasoning --model agentlm-small --limit "$REASONING_LIMIT" --paths 1 3 5 10 20 \
  --out "$OUT/agentlm-small"

# 1b. Language modelling of the pretrained checkpoint the shipped model was fine-tuned from (when it is here).
if [ -f runs/recipe/pretrain/config.json ]; then
  $RUN eval lm --model runs/recipe/pretrain --limit "$LIMIT" --out "$OUT/pretrain"
fi

# 2. Side by side: the same items through the same agent runtime, with tokens/s.
# shellcheck disable=SC2086
$RUN eval compare --models agentlm-small smollm2 runs/smollm2-lora --suites $PEER_SUITES \
  --limit "$PEER_LIMIT" --out "$OUT/compare"

# 3. Reasoning side by side (slow for the 135M models).
if [ "${PEER_REASONING:-0}" = 1 ]; then
  $RUN eval compare --models agentlm-small smollm2 runs/smollm2-lora --suites reasoning \
    --limit "${PEER_REASONING_LIMIT:-3}" --paths 1 3 5 --out "$OUT/compare-reasoning"
fi
echo "done: $OUT"
