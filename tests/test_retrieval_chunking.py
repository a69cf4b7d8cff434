"""Chunking and file loading for retrieval: structure, sizes, word boundaries, offsets, formats (no model needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import real_chinese_texts, real_english_texts

from agentlm.retrieval.chunking import chunk_text, find_headings
from agentlm.retrieval.loaders import file_format, load_file
from agentlm.retrieval.store import fts_query, fts_text

MARKDOWN = """# Gardening notes

A few notes from the allotment.

## Watering tomatoes

Tomato plants need deep watering twice a week. Water the soil, not the leaves, early in the morning.

## Pruning roses

### Tools

Use clean, sharp secateurs.

```
# this is a comment in code, not a heading

prune --all
```
"""

RST = """=========
Espresso
=========

Making espresso at home.

Grinding
--------

Grind the beans fine, like table salt.

Water
-----

Brew with water at 93 degrees.
"""


def _is_boundary(text: str, i: int) -> bool:
    """No word is cut at offset i: one side is whitespace/punctuation, the text edge, or a CJK character."""
    if i in (0, len(text)):
        return True
    a, b = text[i - 1], text[i]
    cjk = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
    return not (a.isalnum() and b.isalnum()) or bool(cjk.match(a) or cjk.match(b))


def test_markdown_headings_and_sections() -> None:
    titles = [(h.level, h.title) for h in find_headings(MARKDOWN, "markdown")]
    assert titles == [(1, "Gardening notes"), (2, "Watering tomatoes"), (2, "Pruning roses"), (3, "Tools")]
    chunks = chunk_text(MARKDOWN, chunk_size=200, chunk_overlap=20, fmt="markdown")
    by_title = {c.title: c for c in chunks}
    assert "Tomato plants need deep watering" in by_title["Watering tomatoes"].text
    assert by_title["Watering tomatoes"].section == "Gardening notes > Watering tomatoes"
    assert "Tomato" not in by_title["Gardening notes"].text  # sections are not mixed
    # an empty "Pruning roses" section joins its sub-section; the fenced block stays whole
    tools = by_title["Tools"]
    assert tools.text.startswith("## Pruning roses") and "prune --all\n```" in tools.text
    assert tools.section == "Gardening notes > Pruning roses > Tools"
    for c in chunks:
        assert MARKDOWN[c.start:c.end] == c.text


def test_rst_headings() -> None:
    assert [(h.level, h.title) for h in find_headings(RST, "rst")] == [(1, "Espresso"), (2, "Grinding"), (2, "Water")]
    chunks = chunk_text(RST, chunk_size=120, chunk_overlap=0, fmt="rst")
    assert [c.title for c in chunks] == ["Espresso", "Grinding", "Water"]
    assert "93 degrees" in chunks[-1].text


@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (300, 60), (800, 100)])
def test_chunks_on_real_text_respect_size_words_and_overlap(size: int, overlap: int) -> None:
    texts = real_english_texts(60) + real_chinese_texts(10)
    n_overlapping = 0
    for text in texts:
        chunks = chunk_text(text, chunk_size=size, chunk_overlap=overlap)
        assert chunks, text[:80]
        covered = set()
        for c in chunks:
            assert 0 < len(c.text) <= size
            assert text[c.start:c.end] == c.text
            assert _is_boundary(text, c.start) and _is_boundary(text, c.end), (c.text[:30], c.text[-30:])
            covered.update(range(c.start, c.end))
        assert all(text[i].isspace() for i in range(len(text)) if i not in covered)  # nothing lost
        for a, b in zip(chunks, chunks[1:], strict=False):
            assert b.start > a.start and b.end > a.end
            assert a.end - b.start <= overlap
            n_overlapping += b.start < a.end
    assert (n_overlapping > 0) == (overlap > 0)


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    paras = [" ".join(f"p{i}w{j}" for j in range(25)) for i in range(6)]  # ~150 chars each
    text = "\n\n".join(paras)
    chunks = chunk_text(text, chunk_size=400, chunk_overlap=0)
    for c in chunks:
        assert c.text.startswith("p") and c.text.split()[0].endswith("w0")  # every chunk starts a paragraph
        assert c.text.split()[-1].endswith("w24")  # and ends one


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        chunk_text("some text", chunk_size=100, chunk_overlap=60)


def test_cjk_is_indexed_as_characters_and_bigrams() -> None:
    assert fts_text("我爱机器学习").split() == [*"我爱机器学习", "我爱", "爱机", "机器", "器学", "学习"]
    assert fts_query("机器学习") == '"机器" OR "器学" OR "学习"'
    assert fts_query("What is the ZX-4471 error?") == '"zx" OR "4471" OR "error"'
    assert fts_query("   ") is None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_loaders_read_each_format(tmp_path: Path) -> None:
    md = load_file(_write(tmp_path / "g.md", "---\ntitle: Front title\nauthor: Ann\n---\n" + MARKDOWN))
    assert (md.title, md.format, md.metadata) == ("Front title", "markdown", {"author": "Ann"})
    assert md.records[0].text.startswith("# Gardening notes")
    assert load_file(_write(tmp_path / "e.rst", RST)).title == "Espresso"
    assert load_file(_write(tmp_path / "plain.txt", "just text\n")).title == "plain"
    html = load_file(_write(tmp_path / "p.html", "<html><head><title>Lights</title><script>var x;</script></head>"
                            "<body><nav>Home | About</nav><h1>Keepers</h1><p>They lit\nthe lamp.</p></body></html>"))
    assert html.title == "Lights"
    assert html.records[0].text == "# Keepers\n\nThey lit the lamp."
    rows = [{"text": "first row", "lang": "en", "source": "wiki"}, {"content": "second", "title": "Two"}, {"x": 1}]
    jl = load_file(_write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in rows)))
    assert [(r.text, r.title, r.metadata) for r in jl.records] == [
        ("first row", "", {"line": 1, "lang": "en", "record_source": "wiki"}), ("second", "Two", {"line": 2})]
    js = load_file(_write(tmp_path / "d.json", json.dumps({"data": [{"body": "b1", "year": 2021}]})))
    assert [(r.text, r.metadata) for r in js.records] == [("b1", {"record": 0, "year": 2021})]
    with pytest.raises(ValueError, match="text field"):
        load_file(_write(tmp_path / "bad.json", json.dumps({"a": 1})))
    assert file_format(tmp_path / "x.png") is None and file_format(tmp_path / "X.PDF") == "pdf"
