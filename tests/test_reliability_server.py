"""Reliability: a soak of the OpenAI-compatible server on 127.0.0.1, bounded in count and time. Mixed requests
(chat, streamed chat, embeddings, agent runs, model listings, file uploads and reads, requests that must fail
cleanly) from concurrent httpx clients while a tiny fine-tuning job trains: no unexpected status, no error
without OpenAI's shape, no lost file, and the job succeeds and its model answers."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from conftest import real_english_texts
from test_reliability import heavy, record, scale

from agentlm.serve.app import ServerConfig, background, create_app

pytestmark = heavy
CHAT = {"model": "agentlm-small", "max_tokens": 16, "temperature": 0}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None) -> str:
    with background(create_app(ServerConfig(data_dir=tmp_path_factory.mktemp("soak"), train_threads=1))) as url:
        yield url


def _training_file(path: Path) -> Path:
    from agentlm.data.synth.build import generate

    path.write_text("".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in generate("train", 8, seed=4)))
    return path


async def _one(client: httpx.AsyncClient, kind: str, i: int, texts: list[str], uploads: list[str]) -> str | None:
    """One request of `kind`; None when the answer is what it must be, else what was wrong."""
    text = texts[i % len(texts)][:200]
    if kind == "chat":
        r = await client.post("/v1/chat/completions", json={**CHAT, "messages": [{"role": "user", "content": text}]})
        ok = r.status_code == 200 and isinstance(r.json()["choices"][0]["message"]["content"], str)
    elif kind == "stream":
        async with client.stream("POST", "/v1/chat/completions", json={
                **CHAT, "stream": True, "messages": [{"role": "user", "content": text}]}) as r:
            lines = [line async for line in r.aiter_lines() if line]
        ok = r.status_code == 200 and lines[-1] == "data: [DONE]"
    elif kind == "embeddings":
        r = await client.post("/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": [text, text[::-1]]})
        ok = r.status_code == 200 and [len(d["embedding"]) for d in r.json()["data"]] == [384, 384]
    elif kind == "agent":
        r = await client.post("/v1/agent/runs", json={"question": text[:80] or "Hi", "strategy": "direct"})
        ok = r.status_code == 200 and isinstance(r.json()["answer"], str)
    elif kind == "models":
        r = await client.get("/v1/models")
        ok = r.status_code == 200 and r.json()["data"][0]["id"] == "agentlm-small"
    elif kind == "upload":
        body = json.dumps({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]})
        r = await client.post("/v1/files", data={"purpose": "fine-tune"},
                              files={"file": (f"soak-{i}.jsonl", body + "\n", "application/jsonl")})
        ok = r.status_code == 200
        if ok:
            uploads.append(r.json()["id"])
            content = await client.get(f"/v1/files/{r.json()['id']}/content")
            ok = content.status_code == 200 and content.text == body + "\n"
    else:  # requests that must fail with OpenAI's error shape, never a 500
        bad = [lambda: client.post("/v1/chat/completions", json={**CHAT, "model": "nope", "messages": [
                   {"role": "user", "content": "hi"}]}),
               lambda: client.post("/v1/chat/completions", content=b"{not json",
                                   headers={"content-type": "application/json"}),
               lambda: client.get("/v1/files/file-missing"),
               lambda: client.post("/v1/chat/completions", json={**CHAT, "messages": [{"role": "wizard",
                                                                                        "content": "x"}]})]
        r = await bad[i % len(bad)]()
        ok = 400 <= r.status_code < 500 and isinstance(r.json().get("error", {}).get("message"), str)
    return None if ok else f"{kind}: HTTP {r.status_code} {r.text[:200]}"


def test_server_soak_with_a_fine_tuning_job(base: str, tmp_path: Path) -> None:
    start = time.perf_counter()
    n, seconds = scale(120, 300), scale(30, 60)
    kinds = ["chat", "stream", "embeddings", "chat", "models", "upload", "agent", "bad", "chat", "embeddings"]
    texts = [t for t in real_english_texts(200) if len(t) > 80]

    with httpx.Client(base_url=base, timeout=120) as client:
        with _training_file(tmp_path / "train.jsonl").open("rb") as f:
            train = client.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": f}).json()
        sft = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 4}}}
        job = client.post("/v1/fine_tuning/jobs", json={"training_file": train["id"], "model": "agentlm-small",
                                                        "suffix": "soak", "method": sft}).json()
    assert job["status"] == "validating_files", job

    async def soak() -> tuple[list[str], dict[str, list[float]], list[str]]:
        errors: list[str] = []
        latency: dict[str, list[float]] = {k: [] for k in kinds}
        uploads: list[str] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)
        began = time.perf_counter()

        async def worker(client: httpx.AsyncClient) -> None:
            while not queue.empty():
                i = queue.get_nowait()
                await asyncio.sleep(max(0.0, began + i * seconds / n - time.perf_counter()))  # spread over time
                kind = kinds[i % len(kinds)]
                t0 = time.perf_counter()
                try:
                    problem = await _one(client, kind, i, texts, uploads)
                except Exception as err:
                    problem = f"{kind}: {type(err).__name__}: {err}"
                latency[kind].append(time.perf_counter() - t0)
                if problem:
                    errors.append(problem)

        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            await asyncio.gather(*(worker(client) for _ in range(8)))
        return errors, latency, uploads

    errors, latency, uploads = asyncio.run(soak())
    soak_seconds = time.perf_counter() - start

    with httpx.Client(base_url=base, timeout=120) as client:
        deadline = time.monotonic() + 600
        while (status := client.get(f"/v1/fine_tuning/jobs/{job['id']}").json())["status"] not in (
                "succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, f"job still {status['status']}"
            time.sleep(1)
        listed = {f["id"] for f in client.get("/v1/files", params={"limit": 10000}).json()["data"]}
        jobs = [j["id"] for j in client.get("/v1/fine_tuning/jobs", params={"limit": 100}).json()["data"]]
        reply = client.post("/v1/chat/completions", json={**CHAT, "model": status.get("fine_tuned_model") or "-",
                                                           "messages": [{"role": "user", "content": "Hi"}]})
    lost_files = sorted((set(uploads) | {train["id"]}) - listed)
    lost_jobs = int(job["id"] not in jobs)
    all_latency = sorted(t for v in latency.values() for t in v)
    record("server soak (127.0.0.1)", inputs=n, failures=len(errors) + (status["status"] != "succeeded")
           + (reply.status_code != 200), data_lost=len(lost_files) + lost_jobs, seconds=time.perf_counter() - start,
           soak_seconds=round(soak_seconds, 1), requests_per_kind={k: len(v) for k, v in latency.items()},
           p50_ms=round(1000 * all_latency[len(all_latency) // 2]),
           p99_ms=round(1000 * all_latency[min(len(all_latency) - 1, int(0.99 * len(all_latency)))]),
           errors=errors[:10], job_status=status["status"], job_trained_tokens=status.get("trained_tokens"),
           files_uploaded=len(uploads) + 1, files_lost=len(lost_files), jobs_lost=lost_jobs)
    assert not errors, errors[:5]
    assert status["status"] == "succeeded", status
    assert reply.status_code == 200 and reply.json()["model"] == status["fine_tuned_model"]
    assert not lost_files and not lost_jobs
