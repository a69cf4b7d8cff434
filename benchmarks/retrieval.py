"""Retrieval at 100k chunks: ingestion against the embedding model's raw rate, and FAISS Flat / HNSW / IVF query
latency (p50/p99) and recall@10 against exact (Flat) search.

Chunks are real text: English documents of the corpus (data/corpus/train.jsonl, else Python docstrings) cut by
the index's own chunker (`chunk_text`, 200 characters, no overlap: passages ending at sentence boundaries).
Queries are passages of held-out documents (data/corpus/val.jsonl), so none is in the index.

1. Ingestion: rounds alternate `Embedder.encode` on a block of chunks (the model's raw rate) with
   `Index.add_texts` of the same block into a real index (chunking, embedding, SQLite + FTS5, FAISS, manifest).
   Ratio: index chunks/s over raw encode chunks/s. Full-path `Index.search` latency (query embedding included)
   is measured on that index too.
2. Scale: all-MiniLM-L6-v2 encodes ~50 such chunks/s on one core, so the 100k vectors are encoded once and
   cached under runs/benchmarks/cache/ (in blocks: a killed run resumes). FAISS indexes are built from them with
   `agentlm.retrieval.vectors.build` (what `Index` uses) and queried one query at a time with
   `agentlm.retrieval.vectors.search` (nprobe `ivf_nprobe(nlist)`, 64 for IVF1024, and efSearch 64 for HNSW, as in
   `Index.search`); the factories take turns on each block of queries. The query-embedding time is reported
   separately, and a sweep shows recall and latency at other efSearch / nprobe values.

    python benchmarks/retrieval.py [--quick] [--chunks 100000] [--queries 500]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from common import RESULTS, ROOT, alternate, machine, median, parser, percentile, setup, table, write_json

FACTORIES = ("Flat", "HNSW32", "IVF1024,Flat")
CHUNK_CHARS = 200
BLOCK = 4096  # vectors per cache block


def _documents(path: Path) -> Iterator[str]:
    if path.is_file():
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if row.get("lang", "en") == "en":
                    yield row["text"]
    else:  # no corpus built: the standard library's docstrings
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import real_english_texts

        yield from real_english_texts(100_000)


def passages(path: Path, limit: int, per_doc: int = 40) -> list[str]:
    """Up to `limit` distinct chunks of 40+ characters, at most `per_doc` from each document (for variety)."""
    from agentlm.retrieval.chunking import chunk_text

    seen: dict[str, None] = {}
    for text in _documents(path):
        taken = 0
        for chunk in chunk_text(text[:20_000], CHUNK_CHARS, 0):
            t = " ".join(chunk.text.split())
            if len(t) >= 40 and sum(c.isalpha() for c in t) > 0.6 * len(t) and t not in seen:
                seen[t] = None
                taken += 1
                if len(seen) >= limit:
                    return list(seen)
                if taken >= per_doc:
                    break
    return list(seen)


def cached_vectors(texts: list[str], embedder: Any, cache: Path) -> tuple[np.ndarray, float]:
    """The texts' vectors, encoded block by block into `cache` (reused, resumable); and the encode rate of the
    blocks encoded in this run (0.0 when everything came from the cache)."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    folder = cache / f"retrieval-{len(texts)}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    blocks, encoded, seconds = [], 0, 0.0
    for b, start in enumerate(range(0, len(texts), BLOCK)):
        file = folder / f"{b:04d}.npy"
        if not file.is_file():
            t0 = time.perf_counter()
            vecs = embedder.encode(texts[start:start + BLOCK])
            seconds += time.perf_counter() - t0
            encoded += len(vecs)
            tmp = folder / f"{b:04d}.tmp.npy"
            np.save(tmp, vecs)
            tmp.replace(file)
            print(f"encoded {min(start + BLOCK, len(texts)):,}/{len(texts):,} ({encoded / seconds:.0f} chunks/s)",
                  file=sys.stderr, flush=True)
        blocks.append(np.load(file))
    return np.ascontiguousarray(np.concatenate(blocks), dtype=np.float32), encoded / seconds if seconds else 0.0


def ingestion(texts: list[str], embedder: Any, rounds: int, block: int, queries: list[str]) -> dict[str, Any]:
    """Raw encode against Index.add_texts on the same blocks, alternating; then full-path Index.search latency."""
    from agentlm.retrieval import Index

    folder = Path(tempfile.mkdtemp(prefix="agentlm-bench-"))
    try:
        index = Index.create(folder / "ingest", chunk_size=CHUNK_CHARS, chunk_overlap=0)

        def raw(r: int) -> float:
            part = texts[r * block:(r + 1) * block]
            t0 = time.perf_counter()
            embedder.encode(part)
            return len(part) / (time.perf_counter() - t0)

        def ingest(r: int) -> float:
            part = texts[r * block:(r + 1) * block]
            report = index.add_texts(part, source=f"block-{r}")
            assert report.chunks == len(part), report
            return report.chunks / report.seconds

        raw(rounds)  # warm-up on a block the rounds do not use
        rates = alternate({"raw encode": raw, "Index.add_texts": ingest}, rounds)
        latency: dict[str, list[float]] = {"dense": [], "hybrid": []}
        for q in queries:
            for mode in latency:
                t0 = time.perf_counter()
                index.search(q, k=10, mode=mode)
                latency[mode].append(time.perf_counter() - t0)
        stats = index.stats()
        index.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    raw_rate, index_rate = median(rates["raw encode"]), median(rates["Index.add_texts"])
    return {"block": block, "rounds": rounds, "raw_encode_chunks_per_s": raw_rate,
            "index_chunks_per_s": index_rate, "ratio": index_rate / raw_rate, "rates": rates,
            "index_chunks": stats["count"],
            "search_ms": {m: {"p50": 1000 * percentile(v, 50), "p99": 1000 * percentile(v, 99)}
                          for m, v in latency.items()}}


def scale(vectors: np.ndarray, queries: np.ndarray, threads: int) -> dict[str, Any]:
    """Build each factory over all vectors; per-query latency and recall@10 against Flat."""
    import faiss

    from agentlm.retrieval import vectors as faiss_layer

    faiss.omp_set_num_threads(threads)
    ids = np.arange(len(vectors), dtype=np.int64)
    built: dict[str, Any] = {}
    info: dict[str, dict[str, Any]] = {}
    for factory in FACTORIES:
        t0 = time.perf_counter()
        index, meta = faiss_layer.build(factory, vectors.shape[1], ids, vectors)
        info[factory] = {"build_seconds": time.perf_counter() - t0, "effective": meta.effective, "note": meta.note}
        built[factory] = index
        print(f"built {meta.effective} over {len(vectors):,} vectors in {info[factory]['build_seconds']:.1f} s",
              file=sys.stderr, flush=True)
    hits: dict[str, list[list[int]]] = {f: [] for f in FACTORIES}
    times: dict[str, list[float]] = {f: [] for f in FACTORIES}
    block = max(1, len(queries) // 10)

    def searcher(factory: str) -> Any:
        def one_block(r: int) -> None:
            for q in queries[r * block:(r + 1) * block]:
                t0 = time.perf_counter()
                found = faiss_layer.search(built[factory], q, 10)
                times[factory].append(time.perf_counter() - t0)
                hits[factory].append([i for i, _ in found])
        return one_block

    alternate({f: searcher(f) for f in FACTORIES}, -(-len(queries) // block), log=False)
    exact = hits["Flat"]
    for factory in FACTORIES:
        recall = [len(set(got) & set(want)) / len(want) for got, want in zip(hits[factory], exact, strict=True) if want]
        info[factory].update(p50_ms=1000 * percentile(times[factory], 50), p99_ms=1000 * percentile(times[factory], 99),
                             recall_at_10=float(np.mean(recall)), queries=len(times[factory]))
    flat = info["Flat"]["p50_ms"]
    for factory in FACTORIES:
        info[factory]["p50_speedup_vs_flat"] = flat / info[factory]["p50_ms"]
    return info, sweep(built, queries, exact)


def sweep(built: dict[str, Any], queries: np.ndarray, exact: list[list[int]]) -> list[dict[str, Any]]:
    """Recall@10 and p50 latency of HNSW and IVF at other search settings than `Index.search` uses."""
    import faiss

    rows = []
    settings = [("HNSW32", "efSearch", v) for v in (16, 64, 128, 256)] + [
        ("IVF1024,Flat", "nprobe", v) for v in (8, 16, 32, 64, 128)]
    for factory, name, value in settings:
        index = built[factory]
        params = faiss.SearchParametersHNSW(efSearch=value) if name == "efSearch" else \
            faiss.SearchParametersIVF(nprobe=min(value, faiss.try_extract_index_ivf(index).nlist))
        times, recall = [], []
        for q, want in zip(queries, exact, strict=True):
            t0 = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 10, params=params)
            times.append(time.perf_counter() - t0)
            recall.append(len(set(ids[0].tolist()) & set(want)) / max(1, len(want)))
        rows.append({"index": factory, "setting": f"{name}={value}", "p50_ms": 1000 * percentile(times, 50),
                     "recall_at_10": float(np.mean(recall))})
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    from agentlm.retrieval.embeddings import load_embedder

    corpus = ROOT / "data" / "corpus"
    t0 = time.perf_counter()
    texts = passages(corpus / "train.jsonl", args.chunks)
    questions = passages(corpus / "val.jsonl", args.queries, per_doc=3)
    print(f"{len(texts):,} chunks (mean {np.mean([len(t) for t in texts]):.0f} characters) and {len(questions)} "
          f"queries in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    embedder = load_embedder()
    embedder.encode(texts[:64])  # warm-up

    ingest = ingestion(texts, embedder, args.ingest_rounds, args.ingest_block, questions[:args.search_queries])
    encode_times = []
    for q in questions:
        t1 = time.perf_counter()
        embedder.encode([q])
        encode_times.append(time.perf_counter() - t1)
    query_vectors = embedder.encode(questions)
    vecs, cache_rate = cached_vectors(texts, embedder, args.cache)
    factories, settings = scale(vecs, query_vectors, args.threads)

    print(f"\n{len(texts):,} chunks of corpus text (<= {CHUNK_CHARS} characters), {len(questions)} held-out queries, "
          f"{args.threads} thread(s)\n")
    print(table(["ingestion", "chunks/s"],
                [["raw `Embedder.encode`", ingest["raw_encode_chunks_per_s"]],
                 ["`Index.add_texts` (chunk, embed, SQLite, FAISS)", ingest["index_chunks_per_s"]]]))
    print(f"\nindex / raw encode: {ingest['ratio']:.2f}x ({ingest['rounds']} rounds of {ingest['block']} chunks)\n")
    print(table(["FAISS index", "build s", "p50 ms", "p99 ms", "recall@10 vs Flat", "p50 speed-up vs Flat"],
                [[f"{f} ({v['effective']})", v["build_seconds"], v["p50_ms"], v["p99_ms"], v["recall_at_10"],
                  f"{v['p50_speedup_vs_flat']:.1f}x"] for f, v in factories.items()]))
    print("\n" + table(["index", "search setting", "p50 ms", "recall@10"],
                       [[s["index"], s["setting"], s["p50_ms"], s["recall_at_10"]] for s in settings]))
    print(f"\nquery embedding: p50 {1000 * percentile(encode_times, 50):.1f} ms, p99 "
          f"{1000 * percentile(encode_times, 99):.1f} ms; full Index.search on the {ingest['index_chunks']:,}-chunk "
          f"index: dense p50 {ingest['search_ms']['dense']['p50']:.1f} ms, hybrid p50 "
          f"{ingest['search_ms']['hybrid']['p50']:.1f} ms")
    return {"benchmark": "retrieval", "chunks": len(texts), "chunk_chars": CHUNK_CHARS,
            "mean_chunk_chars": float(np.mean([len(t) for t in texts])), "queries": len(questions),
            "source": str(corpus / "train.jsonl") if (corpus / "train.jsonl").is_file() else "stdlib docstrings",
            "machine": machine(args.threads), "ingestion": ingest, "cache_encode_chunks_per_s": cache_rate,
            "query_embedding_ms": {"p50": 1000 * percentile(encode_times, 50),
                                   "p99": 1000 * percentile(encode_times, 99)},
            "factories": factories, "search_settings": settings}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "retrieval")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--search-queries", type=int, default=100, help="queries for the full-path Index.search latency")
    ap.add_argument("--ingest-rounds", type=int, default=4)
    ap.add_argument("--ingest-block", type=int, default=512)
    ap.add_argument("--cache", type=Path, default=RESULTS / "cache")
    args = ap.parse_args(argv)
    if args.quick:
        args.chunks, args.queries, args.search_queries, args.ingest_rounds, args.ingest_block = 3000, 40, 10, 2, 64
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
