"""Metrics of the evaluation suites: answers (SQuAD EM/F1), text overlap (BLEU, ROUGE), language modelling
(perplexity, bits per byte), retrieval (hit@k, MRR) and faithfulness of cited answers.

    exact_match("The Eiffel Tower [1]", ["Eiffel Tower"])    -> 1.0
    token_f1("in July 1899", ["July 1899"])                   -> 0.8
    bleu(["the cat sat"], ["the cat sat"])                     -> 100.0
    bits_per_byte(nll_nats=8 * math.log(2), n_bytes=8)        -> 1.0
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from agentlm.runtime.answers import extract_answer, normalize_answer
from agentlm.runtime.strategies.rag import _CITE_RE, _SENTENCE_RE, SUPPORT_THRESHOLD, _words

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_TOKEN_RE = re.compile(r"[\u3400-\u9fff]|[^\W_]+", re.UNICODE)
_PUNCT = set(string.punctuation) | set("，。！？；：、“”‘’（）《》【】")


# ---------------------------------------------------------------- answers (SQuAD-style)

def strip_citations(text: str) -> str:
    """The answer without `[n]` citation markers."""
    return re.sub(r"\s*\[\d+\]", "", text).strip()


def squad_normalize(text: str) -> str:
    """The official SQuAD normalisation: lower case, no punctuation, no articles, single spaces.

    Chinese characters are kept one per token so Chinese answers get a meaningful F1 too.
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    text = _CJK_RE.sub(lambda m: f" {m.group(0)} ", text)
    return " ".join(text.split())


def exact_match(prediction: str, references: Iterable[str]) -> float:
    """1.0 when the normalised prediction (citations removed) equals one normalised reference."""
    pred = squad_normalize(strip_citations(prediction))
    return float(any(pred == squad_normalize(r) for r in references))


def token_f1(prediction: str, references: Iterable[str]) -> float:
    """The best SQuAD token F1 of the prediction (citations removed) against any reference."""
    pred = squad_normalize(strip_citations(prediction)).split()
    best = 0.0
    for ref in references:
        gold = squad_normalize(ref).split()
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def numeric_match(answer: str, gold: str | float) -> float:
    """1.0 when the final answer of a reasoning text (the `Answer:` line, else the last number) equals gold."""
    got, want = normalize_answer(extract_answer(answer)), normalize_answer(str(gold))
    if got == want:
        return 1.0
    try:
        return float(math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-6))
    except ValueError:
        return 0.0


# ---------------------------------------------------------------- text overlap

def bleu(hypotheses: Sequence[str], references: Sequence[str], lang: str = "en") -> float:
    """Corpus BLEU (sacrebleu, one reference per segment); Chinese uses sacrebleu's `zh` tokenizer."""
    import sacrebleu

    if not hypotheses:
        return 0.0
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)],
                                       tokenize="zh" if lang == "zh" else "13a").score)


class _MixedTokenizer:
    """ROUGE tokens: words of Latin script, single Chinese characters (rouge-score's default drops Chinese)."""

    def tokenize(self, text: str) -> list[str]:
        return _TOKEN_RE.findall(text.lower())


def rouge(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measures (rouge-score) over the segments, in [0, 1]."""
    from rouge_score import rouge_scorer

    kinds = ("rouge1", "rouge2", "rougeL")
    scorer = rouge_scorer.RougeScorer(list(kinds), tokenizer=_MixedTokenizer())
    totals = dict.fromkeys(kinds, 0.0)
    for hyp, ref in zip(hypotheses, references, strict=True):
        scores = scorer.score(ref, hyp)
        for k in kinds:
            totals[k] += scores[k].fmeasure
    n = max(1, len(hypotheses))
    return {k: v / n for k, v in totals.items()}


# ---------------------------------------------------------------- language modelling

def perplexity(nll_nats: float, n_tokens: int) -> float:
    """exp(mean negative log-likelihood per token)."""
    return math.exp(nll_nats / n_tokens) if n_tokens else float("nan")


def bits_per_byte(nll_nats: float, n_bytes: int) -> float:
    """Total negative log-likelihood in bits over the UTF-8 bytes of the text (comparable across tokenizers)."""
    return nll_nats / (math.log(2) * n_bytes) if n_bytes else float("nan")


# ---------------------------------------------------------------- retrieval

def first_relevant_rank(ranked: Sequence[Any], relevant: Any) -> int | None:
    """The 1-based rank of the first relevant item, or None."""
    return next((i for i, item in enumerate(ranked, 1) if item == relevant), None)


def hit_at_k(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


# ---------------------------------------------------------------- faithfulness

def sentence_support(answer: str, sources: Sequence[str]) -> list[bool]:
    """For each sentence of a cited answer: is it supported by the passages it cites?

    `sources[n-1]` is the passage cited as [n]. A sentence is supported when it cites a passage and at least
    SUPPORT_THRESHOLD of its content words (the runtime's measure, `rag._words`) appear in the cited
    passages; a sentence without content words (a number, a name of two letters) must occur in them verbatim.
    """
    out = []
    for sentence in _SENTENCE_RE.findall(answer):
        if not sentence.strip():
            continue
        cited = [int(n) for n in _CITE_RE.findall(sentence) if 1 <= int(n) <= len(sources)]
        text = " ".join(sources[n - 1] for n in cited)
        words = _words(strip_citations(sentence))
        if not cited:
            out.append(False)
        elif words:
            out.append(len(words & _words(text)) / len(words) >= SUPPORT_THRESHOLD)
        else:
            bare = strip_citations(sentence).strip(" .。!！?？").casefold()
            out.append(bool(bare) and bare in text.casefold())
    return out


def faithfulness(answer: str, sources: Sequence[str]) -> float | None:
    """The share of answer sentences supported by the passages they cite (None for an empty answer)."""
    support = sentence_support(answer, sources)
    return sum(support) / len(support) if support else None


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None (None when there are none)."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None
