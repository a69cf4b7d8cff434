"""Reliability under kill -9, counted for the report: an index writer killed again and again mid-ingest (the writer
of tests/test_retrieval_crash.py, killed at random moments: while embedding, committing, or writing the FAISS
file and manifest), and `agentlm train pretrain` killed again and again (checkpoints every 2 steps, so kills land
during checkpoint writes too), then restarted to the end."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from conftest import ROOT, real_english_texts
from test_reliability import heavy, record, scale
from test_retrieval_crash import ENV, WRITER, _query

from agentlm.retrieval import open_index
from agentlm.retrieval import vectors as faiss_file

pytestmark = heavy


def _documents(store: Path) -> int:
    rows = _query(store, "SELECT COUNT(*) FROM documents")
    return rows[0][0] if rows else 0


def _check_index(path: Path) -> list[str]:
    """Open the index as a reader would after a crash; what is inconsistent (empty when all is well)."""
    store = path / "chunks.sqlite"
    problems = []
    with open_index(path) as idx:
        stats = idx.stats()
        chunks = _query(store, "SELECT COUNT(*) FROM chunks")[0][0]
        fts = _query(store, "SELECT COUNT(*) FROM chunks_fts")[0][0]
        if not stats["count"] == chunks == fts:
            problems.append(f"counts differ: stats {stats['count']}, chunks {chunks}, fts {fts}")
        for d in idx.documents():
            positions = [p for (p,) in _query(store, f"SELECT position FROM chunks WHERE doc = '{d['doc']}' "
                                                     "ORDER BY position")]
            if positions != list(range(d["chunks"])):
                problems.append(f"{d['doc']}: chunks {positions} of {d['chunks']}")
        loaded = faiss_file.load(path / "vectors.faiss")
        if loaded is None or loaded[0].ntotal != chunks or loaded[1] != stats["generation"]:
            problems.append("the FAISS file was not rebuilt to the store's generation")
        if chunks and not idx.search("the", k=1, mode="dense"):
            problems.append("dense search found nothing")
    return problems


def test_index_writer_killed_repeatedly_loses_no_committed_document(tmp_path: Path, one_torch_thread: None) -> None:
    start = time.perf_counter()
    rng = random.Random(3)
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = [t for t in real_english_texts(400) if 300 < len(t) < 1500][:80]
    for i, text in enumerate(texts):
        (folder / f"doc{i:03d}.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "crash-index"
    store = path / "chunks.sqlite"
    kills, committed_at_kill, lost, problems, finished_alone = 0, [], 0, [], 0
    for _ in range(scale(2, 6)):
        before = _documents(store)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(folder)], cwd=ROOT, env=ENV,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 240
        while _documents(store) <= before and writer.poll() is None:
            assert time.time() < deadline, "the writer committed nothing in time"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.4))  # land anywhere: embedding, SQLite commit, FAISS file, manifest
        writer.send_signal(signal.SIGKILL)
        writer.communicate()
        if writer.returncode != -signal.SIGKILL:
            finished_alone += 1
            break
        kills += 1
        committed = _documents(store)
        committed_at_kill.append(committed)
        problems += _check_index(path)
        lost += max(0, committed - _documents(store))
    before_final = _documents(store)
    with open_index(path) as idx:
        report = idx.add([folder])  # the same add again finishes the job
        total = len(idx.documents())
    lost += len(texts) - total
    record("kill -9 during index writes", inputs=kills, failures=len(problems) + report.failed, data_lost=lost,
           seconds=time.perf_counter() - start, documents=len(texts), committed_at_each_kill=committed_at_kill,
           resumed_add={"skipped": report.skipped, "added": report.added, "failed": report.failed},
           writer_finished_before_a_kill=finished_alone)
    assert kills >= 1 and not problems, problems[:5]
    assert lost == 0 and report.failed == 0 and report.skipped == before_final


ENV_TRAIN = {**ENV, "OMP_NUM_THREADS": "1"}


def _train_args(corpus: Path, tokenizer: Path, out: Path, steps: int) -> list[str]:
    return [sys.executable, "-m", "agentlm", "train", "pretrain", "--corpus", str(corpus), "--tokenizer",
            str(tokenizer), "--out", str(out), "--preset", "tiny", "--context", "64", "--batch-size", "8",
            "--max-steps", str(steps), "--warmup-steps", "2", "--save-interval", "2", "--eval-interval", "10",
            "--eval-batches", "2", "--no-progress", "--no-compile", "--precision", "fp32"]


def _losses(run: Path) -> dict[int, float]:
    """Train losses by step from log.jsonl, skipping a line a kill cut short."""
    out = {}
    path = run / "log.jsonl"
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("kind") == "train":
            out[row["step"]] = row["loss"]
    return out


def _resumed_at(stdout: str) -> int:
    """The step a run resumed at ("resumed from DIR at step N"), 0 when it started from scratch."""
    return next((int(line.rsplit(" ", 1)[1]) for line in stdout.splitlines() if line.startswith("resumed from")), 0)


def test_pretraining_killed_repeatedly_resumes_from_its_checkpoint_and_finishes(
        small_corpus: Path, small_tokenizer: Path, tmp_path: Path) -> None:
    start = time.perf_counter()
    rng = random.Random(11)
    steps = scale(24, 40)
    reference, run = tmp_path / "reference", tmp_path / "killed"
    done = subprocess.run(_train_args(small_corpus, small_tokenizer, reference, steps), env=ENV_TRAIN,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    kills, resumes, at_kill = 0, [], []  # resumes: the step each restarted process resumed at (0: from scratch)
    finished, mid_save = False, 0
    for _ in range(scale(2, 4)):
        target = max(3, max(_losses(run), default=0) + rng.randint(1, 4))  # 3+: the step-2 checkpoint exists
        proc = subprocess.Popen(_train_args(small_corpus, small_tokenizer, run, steps), env=ENV_TRAIN,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.time() + 300
        while max(_losses(run), default=0) < target and proc.poll() is None:
            assert time.time() < deadline, "no training progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))  # land anywhere: a step, the log, a checkpoint write
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        if kills:
            resumes.append(_resumed_at(out))
        finished = proc.returncode != -signal.SIGKILL
        if finished:
            break
        kills += 1
        at_kill.append(max(_losses(run), default=0))
        mid_save += any((run / name).exists() for name in ("checkpoint.tmp", "checkpoint.old"))
    if not finished:
        final = subprocess.run(_train_args(small_corpus, small_tokenizer, run, steps), env=ENV_TRAIN,
                               capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr[-2000:]
        resumes.append(_resumed_at(final.stdout))
    redone = sum(killed_at - resumed for killed_at, resumed in zip(at_kill, resumes, strict=True))
    got, want = _losses(run), _losses(reference)
    missing = sorted(set(want) - set(got))
    different = [s for s in want if s in got and abs(got[s] - want[s]) > 1e-5]
    model_ok = (run / "model.safetensors").is_file() and (run / "agentlm.json").is_file()
    record("kill -9 during pretraining", inputs=kills, failures=len(different) + (not model_ok), data_lost=len(missing),
           seconds=time.perf_counter() - start, steps=steps, killed_after_step=at_kill, resumed_at_step=resumes,
           kills_during_a_checkpoint_write=mid_save,
           steps_redone=redone, losses_equal_to_uninterrupted_run=not different, torch=torch.__version__)
    assert kills >= 1 and all(resumes), (at_kill, resumes)  # every restart resumed from a checkpoint
    assert all(r <= k for r, k in zip(resumes, at_kill, strict=True)), (at_kill, resumes)
    assert not missing and not different and model_ok, (missing, different)

