"""Language modelling: perplexity and bits per byte on held-out text, English and Chinese.

Every token of a text is predicted (the first from the tokenizer's BOS, else its end-of-text token), in
windows of at most `window` tokens that overlap by half so each prediction has context. Bits per byte divide
the total loss by the text's UTF-8 bytes, so models with different tokenizers compare fairly; perplexity is
per the model's own tokens.

    result = evaluate_lm(load_eval_model("agentlm-small"), corpus=Path("data/corpus"), limit=20)
    result = evaluate_lm(model, texts={"en": [...], "zh": [...]})
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from agentlm.eval.datasets import corpus_texts
from agentlm.eval.metrics import bits_per_byte, perplexity
from agentlm.eval.models import EvalModel

DEFAULT_CORPUS = Path("data/corpus")
LANGS = ("en", "zh")


@torch.no_grad()
def text_loss(model: Any, tokenizer: Any, text: str, window: int = 512) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of every token of `text`, and the number of tokens."""
    ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    full = [start, *ids]
    n, stride = len(full), max(1, window // 2)
    nll, count, scored_to = 0.0, 0, 1  # position 0 (the start token) is never predicted
    device = next(model.parameters()).device
    for begin in range(0, n - 1, stride):
        end = min(begin + window, n)
        chunk = torch.tensor([full[begin:end]], device=device)
        logits = model(chunk).logits[0, :-1].float()
        logprobs = torch.log_softmax(logits, dim=-1).gather(1, chunk[0, 1:, None])[:, 0]
        first = max(0, scored_to - begin - 1)  # targets before `scored_to` were scored by the previous window
        nll -= float(logprobs[first:].sum())
        count += logprobs.numel() - first
        scored_to = end
        if end == n:
            break
    return nll, count


def evaluate_lm(model: EvalModel, texts: dict[str, list[str]] | None = None, corpus: Path | None = DEFAULT_CORPUS,
                limit: int = 20, max_chars: int = 2000, window: int = 1024, **_: Any) -> dict[str, Any]:
    """Perplexity and bits per byte per language on `texts`, else on the corpus validation split."""
    loaded = model.weights()
    if loaded is None:
        raise ValueError(f"{model.name} is served remotely: language modelling needs the weights")
    lm, tokenizer = loaded
    if texts is None:
        if corpus is None or not (Path(corpus) / "val.jsonl").is_file():
            raise FileNotFoundError(f"no corpus validation split at {corpus}/val.jsonl: build the corpus "
                                    "(agentlm data build-corpus) or pass texts")
        texts = {lang: corpus_texts(Path(corpus), lang, limit, max_chars) for lang in LANGS}
        source = f"corpus validation split {corpus}/val.jsonl"
    else:
        texts = {lang: [t[:max_chars] for t in items[:limit]] for lang, items in texts.items()}
        source = "given texts"
    window = min(window, getattr(lm.config, "max_position_embeddings", window) or window)
    started = time.perf_counter()
    rows, items = [], []
    for lang, docs in texts.items():
        nll = tokens = n_bytes = 0
        for i, text in enumerate(docs):
            loss, count = text_loss(lm, tokenizer, text, window)
            size = len(text.encode("utf-8"))
            nll, tokens, n_bytes = nll + loss, tokens + count, n_bytes + size
            items.append({"lang": lang, "doc": i, "bytes": size, "tokens": count, "nll": round(loss, 3)})
        rows.append({"lang": lang, "docs": len(docs), "bytes": n_bytes, "tokens": tokens,
                     "bytes_per_token": n_bytes / tokens if tokens else None,
                     "perplexity": perplexity(nll, tokens) if tokens else None,
                     "bits_per_byte": bits_per_byte(nll, n_bytes) if n_bytes else None})
    metrics = {}
    for r in rows:
        metrics[f"bits_per_byte_{r['lang']}"] = r["bits_per_byte"]
        metrics[f"perplexity_{r['lang']}"] = r["perplexity"]
    sizes = ", ".join(f"{r['docs']} {r['lang']} documents ({r['bytes']:,} bytes)" for r in rows)
    return {"suite": "lm", "title": "Language modelling", "model": model.name, "spec": model.spec,
            "data": f"{source}: {sizes}, each cut to {max_chars} characters; windows of {window} tokens.",
            "metrics": metrics, "rows": rows, "items": items,
            "notes": ["Bits per byte compare across tokenizers; perplexity is per the model's own tokens."],
            "chart": {"type": "bar", "labels": [r["lang"] for r in rows], "ylabel": "bits per byte (lower is better)",
                      "series": {model.name: [r["bits_per_byte"] for r in rows]},
                      "title": f"Bits per byte: {model.name}"},
            "seconds": round(time.perf_counter() - started, 1)}
