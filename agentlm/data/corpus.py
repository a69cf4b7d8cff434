"""The corpus stage: raw files -> clean, deduplicated train/val JSONL plus a report.

    read -> normalise -> split long docs -> quality filters -> language -> exact dedup -> near dedup
         -> train/val by a hash of (seed, id)

Files are read, cleaned and signed in worker processes (in file order, so the result is the same
for any number of workers); deduplication and writing happen in the main process.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from agentlm.data.clean import QualityFilters, detect_lang, normalize, split_long
from agentlm.data.dedup import ExactDedup, NearDedup, exact_key, signature
from agentlm.data.readers import ReadStats, iter_files, read_file

CHARS_PER_TOKEN = {"en": 4.0, "zh": 1.5, "other": 3.0}  # rough, for a small byte-level BPE


@dataclass
class CorpusConfig:
    inputs: list[Path]
    out_dir: Path
    val_fraction: float = 0.02
    min_chars: int = 200
    max_chars: int = 100_000  # longer documents are split on paragraph boundaries, not dropped
    near_dup_threshold: float = 0.8
    seed: int = 0
    max_docs: int | None = None
    exclude: list[str] = field(default_factory=list)  # glob patterns on file names or paths
    workers: int = 0  # 0: one per CPU core


def read_sources(path: Path) -> tuple[list[Path], list[str]]:
    """Read a sources list (one path a line; ``!glob`` excludes; ``#`` comments)."""
    inputs, exclude = [], []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("!"):
            exclude.append(line[1:])
        elif line and not line.startswith("#"):
            inputs.append(Path(line))
    return inputs, exclude


class Tally(dict):
    """``name -> [documents, characters]`` counters that add up across files."""

    def add(self, name: str, chars: int, docs: int = 1) -> None:
        c = self.setdefault(name, [0, 0])
        c[0] += docs
        c[1] += chars

    def merge(self, other: dict) -> None:
        for name, (docs, chars) in other.items():
            self.add(name, chars, docs)

    def group(self, prefix: str) -> dict[str, dict[str, int]]:
        """``{name: {"docs", "chars"}}`` for every counter named ``prefix:name``."""
        n = len(prefix) + 1
        return {k[n:]: self.get_dict(k) for k in sorted(self) if k.startswith(prefix + ":")}

    def get_dict(self, name: str) -> dict[str, int]:
        docs, chars = self.get(name, [0, 0])
        return {"docs": docs, "chars": chars}


def _process_file(args: tuple[Path, int, int]) -> tuple[list[dict], Tally]:
    """Read, clean, filter and sign the documents of one file (runs in a worker)."""
    path, min_chars, max_chars = args
    read_stats, filters, tally = ReadStats(), QualityFilters(min_chars=min_chars), Tally()
    docs = []
    for raw, source in read_file(path, read_stats):
        tally.add("read", len(raw))
        pieces = split_long(normalize(raw), max_chars)
        if len(pieces) > 1:
            tally.add("split_long", 0)
        for piece in pieces:
            tally.add("pieces", len(piece))
            if filters(piece) is None:
                lang = detect_lang(piece)
                docs.append(
                    {"key": exact_key(piece), "text": piece, "source": source, "lang": lang,
                     "sig": signature(piece, lang)}
                )  # fmt: skip
    for name, st in filters.stats.items():
        tally.add(f"filter:{name}", st.chars, st.docs)
    for fmt, n in read_stats.files_read.items():
        tally.add(f"file:{fmt}", 0, n)
    for reason, n in read_stats.files_skipped.items():
        tally.add(f"skip:{reason}", 0, n)
    return docs, tally


@contextmanager
def _processed(files: list[Path], config: CorpusConfig, progress: bool) -> Iterator[Iterator]:
    """Results of :func:`_process_file` for each file, in order, from a process pool if worth it."""
    workers = config.workers or os.cpu_count() or 1
    tasks = [(f, config.min_chars, config.max_chars) for f in files]
    pool = get_context("fork").Pool(workers) if workers > 1 and len(files) >= 16 else None
    results = pool.imap(_process_file, tasks, chunksize=4) if pool else map(_process_file, tasks)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=len(tasks), desc="corpus", unit="file")
    try:
        yield results
    finally:
        if pool:
            pool.terminate()


def _val_score(doc_id: str, seed: int) -> float:
    h = hashlib.blake2b(f"{seed}:{doc_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def build_corpus(config: CorpusConfig, progress: bool = True) -> dict:
    """Build ``train.jsonl``, ``val.jsonl``, ``report.json`` and ``report.md`` in ``config.out_dir``."""
    for p in config.inputs:  # fail before any work
        if not Path(p).exists():
            raise FileNotFoundError(f"corpus input not found: {p}")
    start = time.time()
    files = list(iter_files(config.inputs, config.exclude))
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = {"train": out / ".train.jsonl.tmp", "val": out / ".val.jsonl.tmp"}
    exact, near, tally = ExactDedup(), NearDedup(config.near_dup_threshold), Tally()

    with (
        _processed(files, config, progress) as results,
        open(tmp["train"], "w", encoding="utf-8") as train_f,
        open(tmp["val"], "w", encoding="utf-8") as val_f,
    ):
        writers = {"train": train_f, "val": val_f}
        for docs, file_tally in results:
            tally.merge(file_tally)
            for d in docs:
                n = len(d["text"])
                if exact.seen(d["key"]):
                    tally.add("exact_dup", n)
                elif near.seen(d["key"], d["sig"]):
                    tally.add("near_dup", n)
                else:
                    split = "val" if _val_score(d["key"], config.seed) < config.val_fraction else "train"
                    rec = {"id": d["key"], "text": d["text"], "source": d["source"], "lang": d["lang"]}
                    writers[split].write(json.dumps(rec, ensure_ascii=False) + "\n")
                    tally.add(split, n)
                    tally.add(f"lang:{d['lang']}", n)
            if config.max_docs is not None and tally.get("read", [0])[0] >= config.max_docs:
                break

    if config.val_fraction > 0 and "val" not in tally and tally.get("train", [0])[0] >= 2:
        _move_one_to_val(tmp["train"], tmp["val"], config.seed, tally)
    for split, path in tmp.items():
        os.replace(path, out / f"{split}.jsonl")

    langs = tally.group("lang")
    kept = [tally.get("train", [0, 0])[i] + tally.get("val", [0, 0])[i] for i in (0, 1)]
    report = {
        "inputs": [str(p) for p in config.inputs],
        "exclude": config.exclude,
        "files": {"seen": len(files), "read": {k: v["docs"] for k, v in tally.group("file").items()},
                  "skipped": {k: v["docs"] for k, v in tally.group("skip").items()}},
        "read": tally.get_dict("read"),
        "split_long": {"docs": tally.get_dict("split_long")["docs"], "pieces": tally.get_dict("pieces")["docs"]},
        "normalized": tally.get_dict("pieces"),
        "filters": {name: tally.get_dict(f"filter:{name}") for name, _ in QualityFilters().checks()},
        "exact_dup": tally.get_dict("exact_dup"),
        "near_dup": tally.get_dict("near_dup"),
        "kept": {"docs": kept[0], "chars": kept[1]},
        "lang": langs,
        "train": tally.get_dict("train"),
        "val": tally.get_dict("val"),
        "approx_tokens": int(sum(v["chars"] / CHARS_PER_TOKEN.get(k, 3.0) for k, v in langs.items())),
        "seconds": round(time.time() - start, 1),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()
                   if k not in ("inputs", "exclude")},
    }  # fmt: skip
    _write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _write_atomic(out / "report.md", report_markdown(report))
    return report


def _move_one_to_val(train: Path, val: Path, seed: int, tally: Tally) -> None:
    """A tiny corpus whose hash split left val empty still gets one val doc (the lowest score)."""
    lines = train.read_text(encoding="utf-8").splitlines(keepends=True)
    i = min(range(len(lines)), key=lambda j: _val_score(json.loads(lines[j])["id"], seed))
    line = lines.pop(i)
    train.write_text("".join(lines), encoding="utf-8")
    val.write_text(line, encoding="utf-8")
    n = len(json.loads(line)["text"])
    tally.add("train", -n, -1)
    tally.add("val", n)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def report_markdown(r: dict) -> str:
    """The report as a readable Markdown page."""
    read_chars = max(r["read"]["chars"], 1)

    def row(name: str, docs: int, chars: int) -> str:
        return f"| {name} | {docs:,} | {chars:,} | {100 * chars / read_chars:.1f}% |"

    lines = [
        "# Corpus report",
        "",
        f"{r['files']['seen']:,} files seen; read by format: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["files"]["read"].items()))
        + "; skipped: "
        + (", ".join(f"{k} {v:,}" for k, v in sorted(r["files"]["skipped"].items())) or "none"),
        "",
        f"{r['split_long']['docs']:,} long documents were split into pieces of at most "
        f"{r['config']['max_chars']:,} characters.",
        "",
        "| step | documents | characters | share of read chars |",
        "|---|---:|---:|---:|",
        row("read", r["read"]["docs"], r["read"]["chars"]),
        row("after normalising and splitting", r["normalized"]["docs"], r["normalized"]["chars"]),
    ]
    for name, st in r["filters"].items():
        lines.append(row(f"removed: {name}", st["docs"], st["chars"]))
    lines += [
        row("removed: exact duplicate", r["exact_dup"]["docs"], r["exact_dup"]["chars"]),
        row("removed: near duplicate", r["near_dup"]["docs"], r["near_dup"]["chars"]),
        row("**kept**", r["kept"]["docs"], r["kept"]["chars"]),
        "",
        "| language | documents | characters | share of kept chars |",
        "|---|---:|---:|---:|",
    ]
    kept = max(r["kept"]["chars"], 1)
    for lang, st in r["lang"].items():
        lines.append(f"| {lang} | {st['docs']:,} | {st['chars']:,} | {100 * st['chars'] / kept:.1f}% |")
    lines += [
        "",
        "| split | documents | characters |",
        "|---|---:|---:|",
        f"| train | {r['train']['docs']:,} | {r['train']['chars']:,} |",
        f"| val | {r['val']['docs']:,} | {r['val']['chars']:,} |",
        "",
        f"Rough token estimate: {r['approx_tokens']:,} tokens. Build time: {r['seconds']} s.",
        "",
    ]
    return "\n".join(lines)


def iter_corpus_texts(corpus_dir: Path, split: str = "train") -> Iterator[str]:
    """Yield the texts of ``corpus_dir/{split}.jsonl`` in file order."""
    path = Path(corpus_dir) / f"{split}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no {split} split in corpus dir: {path}")
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)["text"]
