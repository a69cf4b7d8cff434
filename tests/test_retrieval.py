"""Retrieval indexes end to end, with real FAISS and the real all-MiniLM-L6-v2 model."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import real_english_texts

from agentlm.retrieval import Hit, Index, open_index, resolve_index_path
from agentlm.retrieval import vectors as faiss_file
from agentlm.retrieval.embeddings import default_model_path, load_embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")


pytestmark = pytest.mark.usefixtures("one_torch_thread")

FILES = {
    "garden.md": """# Gardening notes

A few notes from the allotment, written over the summer.

## Watering tomatoes

Tomato plants need deep watering twice a week. Water the soil, not the leaves, early in the morning so that
the plants do not get blight.

## Pruning roses

Cut rose stems just above an outward-facing bud, at an angle, in late winter.
""",
    "bicycle.txt": "The history of the bicycle begins with the draisine of 1817, a running machine without pedals. "
                   "Pedals on the front wheel came in the 1860s, and the safety bicycle with a chain drive in 1885.\n",
    "espresso.rst": """=========
Espresso
=========

Making espresso at home.

Water
-----

Brew with water at 93 degrees Celsius and a pressure of nine bar for about 25 seconds.
""",
    "lighthouse.html": """<html><head><title>Lighthouse keepers</title></head><body>
<nav>Home | Shop | Contact</nav>
<h1>Lighthouse keepers</h1>
<p>Keepers trimmed the wicks and wound the clockwork that turned the lens every night.</p>
<h2>Automation</h2><p>Most lighthouses were automated in the twentieth century and the keepers left.</p>
</body></html>""",
    "facts.json": json.dumps([
        {"title": "Volcanoes", "text": "A volcano erupts when magma rises through cracks in the crust.", "year": 2021},
        {"title": "Pythagoras", "text": "In a right triangle the square of the hypotenuse equals the sum of the "
                                        "squares of the other two sides.", "year": 2019}]),
    "log.jsonl": "\n".join(json.dumps(r) for r in [
        {"content": "Error ZX-4471: the firmware checksum does not match; reflash the controller.", "level": "error"},
        {"content": "The nightly backup finished in four minutes.", "level": "info"}]),
}
PDF_PAGES = ["Quarterly revenue grew by twelve percent, driven by sales of solar panels in the northern region.",
             "Arctic terns migrate from the Arctic to the Antarctic every year, the longest migration of any animal."]


def write_pdf(path: Path, pages: list[str], title: str) -> None:
    """A minimal valid PDF (Helvetica text, one content stream per page, an /Info title)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] /Count {len(pages)} >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        ops = " ".join(f"({line}) Tj T*" for line in textwrap.wrap(text, 80))
        stream = f"BT /F1 11 Tf 14 TL 50 750 Td {ops} ET"
        objs += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                 f"/Contents {5 + 2 * i} 0 R >>", f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"]
    objs.append(f"<< /Title ({title}) >>")
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info {len(objs)} 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


def make_corpus(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    for name, text in FILES.items():
        (root / ("sub" if name.endswith(".rst") else "") / name).write_text(text, encoding="utf-8")
    write_pdf(root / "report.pdf", PDF_PAGES, "Quarterly Report")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return root


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()  # loaded once per process; every index below reuses it


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def index(corpus: Path, tmp_path_factory: pytest.TempPathFactory, embedder) -> Index:
    """A read-only index of the corpus shared by the query tests."""
    idx = Index.create(tmp_path_factory.mktemp("idx") / "shared", chunk_size=400, chunk_overlap=50)
    idx.report = idx.add([corpus])
    yield idx
    idx.close()


def test_ingest_every_format(index: Index, corpus: Path) -> None:
    r = index.report
    assert (r.added, r.updated, r.skipped, r.failed, r.unsupported) == (7, 0, 0, 0, 1), r.summary()
    assert r.unsupported_types == {".png": 1} and r.chunks > 7 and r.chunks_per_second > 0
    docs = {Path(d["doc"]).name: d for d in index.documents()}
    assert {n: d["title"] for n, d in docs.items()} == {
        "garden.md": "Gardening notes", "bicycle.txt": "bicycle", "espresso.rst": "Espresso",
        "lighthouse.html": "Lighthouse keepers", "facts.json": "facts", "log.jsonl": "log",
        "report.pdf": "Quarterly Report"}
    assert docs["espresso.rst"]["doc"] == str((corpus / "sub" / "espresso.rst").resolve())
    stats = index.stats()
    assert stats["count"] == r.chunks and stats["documents"] == 7 and stats["dim"] == 384
    assert stats["model"] == "all-MiniLM-L6-v2" and stats["size_bytes"] > 0


@pytest.mark.parametrize(("query", "file", "title", "needle"), [
    ("how often should I water tomato plants", "garden.md", "Watering tomatoes", "twice a week"),
    ("when do you prune roses", "garden.md", "Pruning roses", "outward-facing bud"),
    ("when was the safety bicycle invented", "bicycle.txt", "bicycle", "1885"),
    ("what water temperature for espresso", "espresso.rst", "Water", "93 degrees"),
    ("what did lighthouse keepers do at night", "lighthouse.html", "Lighthouse keepers", "clockwork"),
    ("why do volcanoes erupt", "facts.json", "Volcanoes", "magma"),
    ("Pythagorean theorem hypotenuse", "facts.json", "Pythagoras", "hypotenuse"),
    ("firmware checksum error", "log.jsonl", "log", "ZX-4471"),
    ("bird with the longest migration", "report.pdf", "Quarterly Report", "Arctic terns"),
])
@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_query_finds_the_right_chunk_first(index: Index, query: str, file: str, title: str, needle: str,
                                           mode: str) -> None:
    top = index.search(query, k=3, mode=mode)[0]
    assert Path(top.doc).name == file and top.title == title and needle in top.text, (mode, top)


def test_hits_have_the_stable_shape(index: Index) -> None:
    hits = index.search("arctic tern migration", k=2)
    assert len(hits) == 2 and all(isinstance(h, Hit) for h in hits) and hits[0].score >= hits[1].score
    d = hits[0].to_dict()
    assert list(d) == ["doc", "chunk", "score", "text", "title", "metadata"]
    assert isinstance(d["chunk"], int) and isinstance(d["score"], float)
    meta = d["metadata"]
    assert meta["page"] == 2 and meta["source"] == d["doc"] and meta["format"] == "pdf"
    assert {"title", "position", "start", "end", "section"} <= set(meta)
    json.dumps(d)  # serializable as is


def test_chunk_offsets_point_into_the_text(index: Index, corpus: Path) -> None:
    hit = index.search("Pruning roses", k=1, mode="bm25", filters={"source": "*.md"})[0]
    text = (corpus / "garden.md").read_text()
    assert text[hit.metadata["start"]:hit.metadata["end"]] == hit.text
    assert hit.metadata["section"] == "Gardening notes > Pruning roses"


def test_filters(index: Index) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        hits = index.search("water", k=5, mode=mode, filters={"source": "*.md"})
        assert hits and all(h.doc.endswith("garden.md") for h in hits), mode
        hits = index.search("nightly firmware backup", k=5, mode=mode, filters={"level": "info"})
        assert [h.text for h in hits] == ["The nightly backup finished in four minutes."], mode
    assert {h.metadata["year"] for h in index.search("science", k=5, filters={"year": 2019})} == {2019}
    assert {h.metadata["year"] for h in index.search("science", k=5, filters={"year": ["2019", 2021]})} == {2019, 2021}
    assert index.search("terns", k=5, filters={"page": 1}, mode="dense")[0].metadata["page"] == 1
    assert all("sub/" in h.doc for h in index.search("water", k=5, filters={"source": "sub/*"}))
    assert index.search("water", k=5, filters={"source": "*.nothing"}) == []


def test_rerank_hook_sees_candidates_and_decides(index: Index) -> None:
    seen: list[int] = []

    def prefer_pdf(query: str, hits: list[Hit]) -> list[Hit]:
        seen.append(len(hits))
        return sorted(hits, key=lambda h: not h.doc.endswith(".pdf"))

    hits = index.search("water", k=2, rerank=prefer_pdf)
    assert seen[0] > 2 and len(hits) == 2 and hits[0].doc.endswith(".pdf")


def test_bad_mode_and_empty_query(index: Index) -> None:
    with pytest.raises(ValueError, match="hybrid, dense, bm25"):
        index.search("x", mode="sparse")
    assert index.search("   ") == []


MODE_DOCS = {
    "minutes": "Minutes of the March meeting of the residents' committee. The committee approved the new parking "
               "rules for the north side of the square and agreed to repaint the bicycle shelter before summer. The "
               "treasurer reported that the fees collected last year covered the cost of the new lighting. Ms "
               "Thorbjornsdottir objected to the parking fee, and the chair promised to review it in September.",
    "names": "Icelandic family names are patronymics: a daughter takes her father's first name with the ending dottir, "
             "and a son takes the ending son.",
    "nordic": "Nordic women's names and surnames, such as Sigridur, Gudrun and Helga, and how they are pronounced.",
    "battery": "Dimming the display and closing apps running in the background lets a notebook computer run much "
               "longer on a single charge.",
    "recycle": "Laptop battery recycling: old laptop batteries should be taken to a collection point, never thrown in "
               "household waste.",
    "bread": "Knead the dough for ten minutes, let it rise for an hour, then bake at 220 degrees.",
    "train": "The night train to Vienna leaves at 22:10 from platform 4.",
}


def _rank(hits: list[Hit], doc: str) -> int:
    return next((i for i, h in enumerate(hits) if h.doc == doc), 99)


def test_bm25_wins_on_a_rare_keyword_dense_on_a_paraphrase(tmp_path: Path, embedder) -> None:
    idx = Index.create(tmp_path / "modes")
    for source, text in MODE_DOCS.items():
        idx.add_texts([text], source=source)
    ranks = {m: _rank(idx.search("Thorbjornsdottir", k=7, mode=m), "minutes") for m in ("bm25", "dense", "hybrid")}
    assert ranks["bm25"] == 0 and ranks["dense"] > 0 and ranks["hybrid"] == 0, ranks  # exact rare name
    q = "How can I make my laptop battery last longer?"  # no word in common with the answer but "longer"
    ranks = {m: _rank(idx.search(q, k=7, mode=m), "battery") for m in ("bm25", "dense", "hybrid")}
    assert ranks["dense"] == 0 and ranks["bm25"] > 0 and ranks["hybrid"] <= 1, ranks
    idx.close()


CHINESE = {
    "panda": "大熊猫生活在中国西南的山林里，主要以竹子为食，每天要花十几个小时进食。",
    "wall": "长城是古代中国为了抵御北方游牧民族而修建的军事工程，总长度超过两万千米。",
    "ml": "机器学习是人工智能的一个分支，让计算机从数据中自动学习规律，而不是依靠人工编写规则。",
    "coffee": "意式浓缩咖啡用九个大气压的热水快速穿过细磨的咖啡粉，大约需要二十五秒。",
}


def test_chinese_text_is_found_by_bm25(tmp_path: Path, embedder) -> None:
    idx = Index.create(tmp_path / "zh")
    idx.add_texts(list(CHINESE.values()), metadatas=[{"topic": k} for k in CHINESE], source="zh-notes")
    for query, topic in [("大熊猫吃什么", "panda"), ("竹子", "panda"), ("长城有多长", "wall"),
                         ("什么是机器学习", "ml"), ("浓缩咖啡", "coffee")]:
        hits = idx.search(query, k=2, mode="bm25")
        assert hits and hits[0].metadata["topic"] == topic, (query, hits)
        assert idx.search(query, k=2, mode="hybrid")[0].metadata["topic"] == topic
    idx.close()


def test_delete_reopen_and_unknown_document(tmp_path: Path, corpus: Path, embedder) -> None:
    path = tmp_path / "crud"
    idx = Index.create(path)
    idx.add([corpus])
    before = idx.stats()
    assert Path(idx.search("bicycle draisine", k=1)[0].doc).name == "bicycle.txt"
    removed = idx.delete(str(corpus / "bicycle.txt"))
    assert removed >= 1 and idx.stats()["count"] == before["count"] - removed
    assert all(not h.doc.endswith("bicycle.txt") for m in ("hybrid", "dense", "bm25")
               for h in idx.search("bicycle draisine pedals", k=10, mode=m))
    assert "bicycle.txt" not in {Path(d["doc"]).name for d in idx.documents()}
    assert idx.delete("espresso.rst") >= 1  # a unique file name is enough
    with pytest.raises(KeyError, match="no document 'nope.md' in index 'crud'"):
        idx.delete("nope.md")
    stats = idx.stats()
    idx.close()
    with open_index(path) as again:  # reopened from disk: same content, FAISS file of the same generation
        assert again.stats()["count"] == stats["count"] and again.stats()["generation"] == stats["generation"]
        assert Path(again.search("lighthouse keepers", k=1)[0].doc).name == "lighthouse.html"
        assert len(again.documents()) == 5
    os.remove(path / "vectors.faiss")  # a lost FAISS file is rebuilt from the chunk store
    with open_index(path) as again:
        assert Path(again.search("Arctic terns", k=1, mode="dense")[0].doc).name == "report.pdf"
    assert faiss_file.load(path / "vectors.faiss")[1] == stats["generation"]


def test_changed_file_replaces_its_chunks(tmp_path: Path, embedder) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nThe meeting moved to the quokka room.\n")
    with Index.create(tmp_path / "upd") as idx:
        assert idx.add([doc]).added == 1
        assert idx.add([doc]).skipped == 1  # unchanged content: skipped by hash
        doc.write_text("# Notes\n\nThe meeting moved to the wombat room.\n\nBring your own chair.\n")
        report = idx.add([doc])
        assert (report.added, report.updated) == (0, 1)
        assert idx.search("quokka", mode="bm25") == []
        assert "wombat" in idx.search("wombat", mode="bm25")[0].text
        assert idx.stats()["count"] == 1 and idx.documents()[0]["chunks"] == 1
        r = idx.add_texts(["alpha text"], source="mem")
        assert r.added == 1 and idx.add_texts(["alpha text"], source="mem").skipped == 1
        assert idx.add_texts(["beta text"], source="mem").updated == 1
        assert [h.text for h in idx.search("alpha beta", mode="bm25")] == ["beta text"]


def test_create_open_errors_and_model_mismatch(tmp_path: Path, embedder, monkeypatch) -> None:
    monkeypatch.setenv("AGENTLM_INDEX_DIR", str(tmp_path / "root"))
    with pytest.raises(FileNotFoundError, match="agentlm index add PATH... --index missing"):
        open_index("missing")
    idx = open_index("named", create=True, chunk_size=500)
    assert idx.path == tmp_path / "root" / "named" and idx.settings["chunk_size"] == 500
    idx.add_texts(["some text"], source="s")
    idx.close()
    with pytest.raises(FileExistsError):
        Index.create("named")
    other = tmp_path / "other-model"  # another model directory (same files, different model as far as we know)
    other.mkdir()
    for f in default_model_path().iterdir():
        (other / f.name).symlink_to(f)
    with pytest.raises(ValueError, match="built with the embedding model all-MiniLM-L6-v2"):
        open_index("named", embedding_model=str(other))
    with pytest.raises(ValueError, match="chunk_size=500"):
        open_index("named", create=True, chunk_size=800)
    with open_index("named", embedding_model=str(default_model_path())) as same:  # the default, by path
        assert same.stats()["count"] == 1
    with pytest.raises(ValueError, match="invalid FAISS factory"):
        Index.create(tmp_path / "bad", factory="NoSuchIndex42")
    not_an_index = tmp_path / "folder"
    not_an_index.mkdir()
    (not_an_index / "x.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not an index"):
        Index.create(not_an_index)


def test_resolve_index_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("AGENTLM_INDEX_DIR", raising=False)
    assert resolve_index_path("docs-index") == Path("indexes/docs-index")
    assert resolve_index_path("./a/b") == Path("a/b") and resolve_index_path(tmp_path) == tmp_path
    monkeypatch.setenv("AGENTLM_INDEX_DIR", str(tmp_path))
    assert resolve_index_path("docs-index") == tmp_path / "docs-index"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    assert resolve_index_path("existing") == Path("existing")  # an existing directory is a path


def _sentences(n: int) -> list[str]:
    out = [s.strip() for t in real_english_texts(200) for s in t.replace("\n", " ").split(". ") if 40 < len(s) < 160]
    return list(dict.fromkeys(out))[:n]


def test_ivf_lists_follow_the_number_of_vectors() -> None:
    assert faiss_file.effective_factory("IVF64,Flat", 10)[0] == "Flat"
    assert faiss_file.effective_factory("IVF64,Flat", 200) == ("IVF5,Flat", "nlist lowered from 64 to 5 for 200 "
                                                                           "training vectors")
    assert faiss_file.effective_factory("IVF64,PQ8", 100_000) == ("IVF64,PQ8", "")
    assert faiss_file.effective_factory("IVF{n},Flat", 10_000)[0] == "IVF256,Flat"  # nlist = 4 * sqrt(n)
    info = faiss_file.FaissInfo("IVF{n},Flat", "Flat", 10)
    assert not faiss_file.needs_rebuild(info, 38) and faiss_file.needs_rebuild(info, 39)
    info = faiss_file.FaissInfo("IVF{n},Flat", "IVF2,Flat", 80)
    assert not faiss_file.needs_rebuild(info, 159) and faiss_file.needs_rebuild(info, 160)


@pytest.mark.parametrize("factory", ["HNSW32", "IVF{n},Flat"])
def test_factories(tmp_path: Path, factory: str, embedder) -> None:
    texts = _sentences(80)
    with Index.create(tmp_path / "f", factory=factory) as idx:
        idx.add_texts(texts[:10], source="small")
        stats = idx.stats()
        if "IVF" in factory:  # too few vectors to train: exact search, and the manifest says so
            assert stats["faiss"] == "Flat" and "too few vectors to train IVF" in stats["faiss_note"]
        idx.add_texts(texts[10:], source="big")
        stats = idx.stats()
        manifest = json.loads((idx.path / "manifest.json").read_text())
        assert manifest["faiss"]["effective"] == stats["faiss"] and manifest["factory"] == factory
        if factory == "HNSW32":
            assert stats["faiss"] == "HNSW32"
        else:  # trained on 80 vectors: nlist = 80 // 39 = 2, and the manifest says why
            assert stats["faiss"] == "IVF2,Flat" and "picked from 80 vectors" in stats["faiss_note"]
        for i in (3, 50, 75):
            assert idx.search(texts[i], k=1, mode="dense")[0].text == texts[i]
        idx.delete("small")  # HNSW cannot remove ids: rebuilt from the store
        assert idx.stats()["count"] == 70
        assert idx.search(texts[3], k=1, mode="dense")[0].text != texts[3]
        assert idx.search(texts[60], k=1, mode="dense")[0].text == texts[60]
    with open_index(tmp_path / "f") as again:
        assert again.search(texts[70], k=1, mode="dense")[0].text == texts[70]


def test_open_index_copy_elsewhere(tmp_path: Path, index: Index) -> None:
    """An index directory is self-contained: a copy opens anywhere."""
    shutil.copytree(index.path, tmp_path / "copy")
    with open_index(tmp_path / "copy") as idx:
        assert idx.stats()["count"] == index.stats()["count"]
        assert idx.search("arctic terns", k=1)[0].metadata["page"] == 2
