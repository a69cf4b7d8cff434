"""The benchmark scripts (benchmarks/*.py) run end to end at a tiny size and write their JSON: shapes and sanity
only, never a timing assertion (timings on this shared machine are noise; the scripts report ratios)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT

pytestmark = pytest.mark.usefixtures("one_torch_thread")
sys.path.insert(0, str(ROOT / "benchmarks"))


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name: str, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"{name}.json"
    result = _bench(name).main([*args, "--json", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))  # what was printed is what was saved
    assert result["machine"]["torch_threads"] == 1
    return result


def test_common_helpers() -> None:
    common = _bench("common")
    assert common.percentile([3, 1, 2, 4], 50) == 2.5 and common.percentile([5], 99) == 5
    assert common.percentile(list(range(101)), 99) == 99 and common.percentile([], 50) == 0.0
    order: list[str] = []
    results = common.alternate({"a": lambda r: order.append(f"a{r}") or r, "b": lambda r: order.append(f"b{r}")},
                               3, log=False)
    assert order == ["a0", "b0", "b1", "a1", "a2", "b2"] and results["a"] == [0, 1, 2]
    assert common.table(["x", "y"], [[1234.5, 0.01234]]) == "| x | y |\n|---|---|\n| 1,234 | 0.0123 |"


def test_generation(tmp_path: Path) -> None:
    result = _run("generation", tmp_path, "--quick", "--max-new-tokens", "8")
    got = result["results"]
    assert set(got) == {"generate greedy", "generate sampled", "stream greedy", "stream sampled"}
    assert all(v["tokens_per_s"] > 0 for v in got.values())
    assert got["stream greedy"]["same_text_as_generate"] and got["stream sampled"]["same_text_as_generate"]
    assert got["stream greedy"]["ttft_p50_ms"] > 0 and result["ratios"]["sampled_over_greedy"] > 0


def test_self_consistency(tmp_path: Path) -> None:
    result = _run("self_consistency", tmp_path, "--quick")
    every = [r for name, v in result["results"].items() if "settled" not in name for r in v["rounds"]]
    assert len(every) == 4 and all(r["paths"] == 4 and r["tokens"] > 0 for r in every)
    voted = [r for name, v in result["results"].items() if "settled" in name for r in v["rounds"]]
    assert len(voted) == 4 and all(1 <= r["paths"] <= 4 for r in voted)
    assert result["ratios"]["all"]["wall_time_speedup"] > 0 and isinstance(result["meets_target"], bool)


def test_retrieval(tmp_path: Path) -> None:
    result = _run("retrieval", tmp_path, "--chunks", "200", "--queries", "12", "--search-queries", "3",
                  "--ingest-rounds", "1", "--ingest-block", "16", "--cache", str(tmp_path / "cache"))
    factories = result["factories"]
    assert set(factories) == {"Flat", "HNSW32", "IVF1024,Flat"} and len(result["search_settings"]) == 9
    assert factories["Flat"]["recall_at_10"] == 1.0 and factories["IVF1024,Flat"]["effective"] == "IVF5,Flat"
    assert all(0 < v["recall_at_10"] <= 1 and v["queries"] == 12 for v in factories.values())
    assert result["ingestion"]["index_chunks"] == 16 and result["ingestion"]["ratio"] > 0
    assert len(list((tmp_path / "cache").glob("retrieval-200-*/0000.npy"))) == 1  # vectors cached for the next run


def test_agent_overhead(tmp_path: Path) -> None:
    result = _run("agent_overhead", tmp_path, "--quick")  # direct, react, rag; one round, 24 tokens
    for strategy, v in result["results"].items():
        assert v["model_s"] > 0 and v["wall_s"] >= v["model_s"] and v["steps"] >= 1, strategy
    assert result["results"]["react"]["tools_s"] > 0  # the forced calculator call ran


def test_server_load(tmp_path: Path) -> None:
    result = _run("server_load", tmp_path, "--rounds", "1", "--clients", "4", "--requests", "4")
    assert result["errors"] == 0 and result["ratio"] > 0
    assert result["results"]["4 concurrent clients"]["requests"] == 4
    assert set(result["results"]["1 client"]["by_kind_ms"]) == {"chat", "stream", "embeddings"}


def test_sft_throughput(tmp_path: Path) -> None:
    # one 2-step run per head on fresh skill data; fp32, as bf16 autocast (where `auto` picks it) rounds the heads apart
    result = _run("sft_throughput", tmp_path, "--quick", "--precision", "fp32")
    rounds = result["rounds"]
    assert set(rounds) == {"TRL fused head", "labelled positions only"}
    assert all(len(v) == 1 and v[0]["tokens"] > 0 and v[0]["seconds"] > 0 for v in rounds.values())
    assert result["largest_loss_difference"] < 1e-4  # same batches, same loss: only the time may differ
    assert result["speedup"] > 0


def test_dpo_throughput(tmp_path: Path) -> None:
    # one 2-step run per head on fresh preference pairs, in fp32 (see above)
    result = _run("dpo_throughput", tmp_path, "--quick", "--precision", "fp32")
    rounds = result["rounds"]
    assert set(rounds) == {"TRL fused head", "reply tokens only"}
    assert all(len(v) == 1 and v[0]["seconds"] > 0 for v in rounds.values())
    assert result["largest_margin_difference"] < 1e-4  # same batches, same training: only the time may differ
    assert result["speedup"] > 0


def test_precision(tmp_path: Path) -> None:
    # one 2-step run per precision and stage; the table says which is faster and whether `auto` picked it
    result = _run("precision", tmp_path, "--quick")
    assert result["auto"] in ("fp32", "bf16") and result["gemm_bf16_speedup"] > 0 and result["block"] == 128
    assert set(result["stages"]) == {"pretrain step", "SFT", "DPO"}
    for stage in result["stages"].values():
        assert set(stage["rounds"]) == {"fp32", "bf16"}
        assert all(len(v) == 1 and v[0]["seconds"] > 0 for v in stage["rounds"].values())
        assert stage["bf16_speedup"] > 0
