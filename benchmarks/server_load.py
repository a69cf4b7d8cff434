"""`agentlm serve` under 16 concurrent clients: requests/s, p50/p99 latency and errors (target: none).

A real `agentlm serve` process (the shipped model, its own data dir, a free port on 127.0.0.1) and httpx async
clients in this process. The workload cycles chat completions (greedy, 32 tokens), streamed chat completions
(read to `[DONE]`) and embeddings, over questions from the skill test set. Rounds alternate 16 concurrent clients
with one client sending the same kinds of requests one after another; the ratio is the throughput gained by
concurrency. Every answer is checked (status 200, a reply / a stream ending in [DONE] / 384 floats).

    python benchmarks/server_load.py [--quick] [--rounds 4] [--clients 16] [--requests 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import ROOT, english_prompts, machine, parser, percentile, setup, table, write_json

KINDS = ("chat", "stream", "chat", "embeddings")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(data_dir: Path, threads: int, timeout: float = 180) -> Iterator[str]:
    """Run `agentlm serve` on a free port of 127.0.0.1 until the block ends; yield its base URL."""
    import httpx

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": str(threads)}
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "agentlm", "serve", "--port", str(port), "--data-dir",
                             str(data_dir), "--log-level", "warning", "--train-threads", "1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"agentlm serve exited with {proc.returncode}: see {data_dir / 'serve.log'}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("agentlm serve did not start in time")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def request(client: Any, kind: str, question: str) -> tuple[float, str | None]:
    """One request of `kind`; (seconds, None) or (seconds, what was wrong)."""
    start = time.perf_counter()
    chat = {"model": "agentlm-small", "messages": [{"role": "user", "content": question}], "max_tokens": 32,
            "temperature": 0}
    try:
        if kind == "embeddings":
            r = await client.post("/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": [question]})
            ok = r.status_code == 200 and len(r.json()["data"][0]["embedding"]) == 384
        elif kind == "stream":
            async with client.stream("POST", "/v1/chat/completions", json={**chat, "stream": True}) as r:
                lines = [line async for line in r.aiter_lines() if line]
            ok = r.status_code == 200 and lines[-1] == "data: [DONE]"
        else:
            r = await client.post("/v1/chat/completions", json=chat)
            ok = r.status_code == 200 and isinstance(r.json()["choices"][0]["message"]["content"], str)
        error = None if ok else f"{kind}: HTTP {r.status_code}"
    except Exception as err:  # counted, never raised: the benchmark reports errors
        error = f"{kind}: {type(err).__name__}: {err}"
    return time.perf_counter() - start, error


async def load(base: str, clients: int, n: int, questions: list[str], offset: int) -> dict[str, Any]:
    """`n` requests from `clients` concurrent workers; latencies per kind, errors, wall time."""
    import httpx

    jobs = asyncio.Queue()
    for i in range(n):
        jobs.put_nowait((KINDS[(offset + i) % len(KINDS)], questions[(offset + i) % len(questions)]))
    latency: dict[str, list[float]] = {k: [] for k in set(KINDS)}
    errors: list[str] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not jobs.empty():
            kind, question = jobs.get_nowait()
            seconds, error = await request(client, kind, question)
            latency[kind].append(seconds)
            if error:
                errors.append(error)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - start
    return {"requests": n, "wall": wall, "latency": latency, "errors": errors}


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup(args.threads)
    questions = [p[-1]["content"] for p in english_prompts(("smalltalk", "identity", "math_cot", "style",
                                                            "reflection", "harmless_lookalike"), 64)]
    with tempfile.TemporaryDirectory(prefix="agentlm-bench-") as tmp, serve(Path(tmp), args.threads) as base:
        asyncio.run(load(base, 2, 8, questions, 0))  # warm-up: loads the model and the embedder
        contestants = {f"{args.clients} concurrent clients": (args.clients, args.requests),
                       "1 client": (1, max(len(KINDS), args.requests // 4))}
        raw: dict[str, list[dict[str, Any]]] = {name: [] for name in contestants}
        for r in range(args.rounds):
            for name in contestants if r % 2 == 0 else reversed(contestants):
                clients, n = contestants[name]
                raw[name].append(asyncio.run(load(base, clients, n, questions, r * args.requests)))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    summary, rows = {}, []
    for name, rounds in raw.items():
        all_lat = [t for x in rounds for v in x["latency"].values() for t in v]
        by_kind = {k: [t for x in rounds for t in x["latency"][k]] for k in sorted(set(KINDS))}
        errors = [e for x in rounds for e in x["errors"]]
        summary[name] = {"requests": sum(x["requests"] for x in rounds),
                         "requests_per_s": sum(x["requests"] for x in rounds) / sum(x["wall"] for x in rounds),
                         "p50_ms": 1000 * percentile(all_lat, 50), "p99_ms": 1000 * percentile(all_lat, 99),
                         "by_kind_ms": {k: {"p50": 1000 * percentile(v, 50), "p99": 1000 * percentile(v, 99),
                                            "n": len(v)} for k, v in by_kind.items()},
                         "errors": len(errors), "error_examples": errors[:5]}
        v = summary[name]
        rows.append([name, v["requests"], v["requests_per_s"], v["p50_ms"], v["p99_ms"], v["errors"]])
    many, one = summary[f"{args.clients} concurrent clients"], summary["1 client"]
    ratio = many["requests_per_s"] / one["requests_per_s"]
    print(f"\nagentlm serve (agentlm-small, {args.threads} torch thread(s)), mix {'/'.join(KINDS)}, "
          f"{args.rounds} rounds\n")
    print(table(["clients", "requests", "requests/s", "p50 ms", "p99 ms", "errors"], rows))
    print("\n" + table(["kind (16 clients)", "requests", "p50 ms", "p99 ms"],
                       [[k, v["n"], v["p50"], v["p99"]] for k, v in many["by_kind_ms"].items()]))
    print(f"\nthroughput {args.clients} clients / 1 client: {ratio:.2f}x; errors: {many['errors'] + one['errors']} "
          "(target 0)")
    return {"benchmark": "server_load", "clients": args.clients, "rounds": args.rounds, "kinds": list(KINDS),
            "machine": machine(args.threads), "results": summary, "ratio": ratio,
            "errors": many["errors"] + one["errors"]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = parser(__doc__, "server_load")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=64, help="requests per round for the concurrent clients")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.requests = 1, 16
    result = run(args)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
