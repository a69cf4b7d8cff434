"""Exact and near-duplicate removal.

Exact: a hash of the text with case and whitespace folded. Near: MinHash signatures over word
5-grams (English and other) or character 5-grams (Chinese), bucketed by ``datasketch``'s LSH;
the first document seen is kept.
"""

from __future__ import annotations

import hashlib
import re

from datasketch import LeanMinHash, MinHash, MinHashLSH

NUM_PERM = 128
WORD_NGRAM = 5
CHAR_NGRAM = 5
MAX_SHINGLES = 20_000  # longer documents are signed on an even sample of their shingles


def exact_key(text: str) -> str:
    """Hash of ``text`` with case and all whitespace runs folded (16 bytes, hex)."""
    folded = " ".join(text.lower().split())
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=16).hexdigest()


def shingles(text: str, lang: str) -> set[str]:
    """Character n-grams for Chinese (spaces removed), word n-grams otherwise."""
    if lang == "zh":
        s = re.sub(r"\s+", "", text)
        n = CHAR_NGRAM
        grams = {s[i : i + n] for i in range(max(len(s) - n + 1, 1))}
    else:
        words = re.findall(r"\w+", text.lower())
        n = WORD_NGRAM
        grams = {" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}
    if len(grams) > MAX_SHINGLES:  # deterministic sample: keep grams whose hash falls in a bucket
        keep = MAX_SHINGLES / len(grams)
        grams = {g for g in grams if (hash_str(g) % 10_000) < keep * 10_000}
    return grams


def hash_str(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


def signature(text: str, lang: str, num_perm: int = NUM_PERM) -> LeanMinHash:
    """MinHash signature of ``text`` (small and picklable)."""
    m = MinHash(num_perm=num_perm, seed=1)
    m.update_batch([g.encode("utf-8") for g in shingles(text, lang)])
    return LeanMinHash(m)


class ExactDedup:
    """Remembers exact keys; ``seen(text)`` is True for a repeat."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def seen(self, key: str) -> bool:
        if key in self.keys:
            return True
        self.keys.add(key)
        return False


class NearDedup:
    """MinHash LSH index; ``seen(key, sig)`` is True when a similar document was added before."""

    def __init__(self, threshold: float = 0.8, num_perm: int = NUM_PERM) -> None:
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.sigs: dict[str, LeanMinHash] = {}

    def seen(self, key: str, sig: LeanMinHash) -> bool:
        """LSH candidates are confirmed by their estimated Jaccard similarity."""
        for other in self.lsh.query(sig):
            if sig.jaccard(self.sigs[other]) >= self.threshold:
                return True
        self.lsh.insert(key, sig)
        self.sigs[key] = sig
        return False
