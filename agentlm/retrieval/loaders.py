"""Read files into documents for indexing: txt, md, rst, html, pdf, json and jsonl.

A document is one file: a title, a format and one or more records (a JSON row, a PDF page, or the whole text),
each with its own metadata. Chunks never cross records.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentlm.data.readers import decode, html_to_text
from agentlm.retrieval.chunking import find_headings

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".rst": "rst",
           ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".json": "json", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}
TEXT_FIELDS = ("text", "content", "body")
RESERVED_KEYS = ("source", "title", "section", "position", "start", "end", "format")  # set by the index per chunk


@dataclass
class Record:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    title: str = ""  # overrides the document title for this record's chunks (a JSON row's "title")


@dataclass
class Document:
    title: str
    format: str  # "text", "markdown", "rst", "html", "pdf", "json" or "jsonl"
    records: list[Record]
    metadata: dict[str, Any] = field(default_factory=dict)  # document-level (e.g. markdown front matter)


def file_format(path: Path) -> str | None:
    """The format we read ``path`` as, or None when unsupported."""
    return FORMATS.get(path.suffix.lower())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _text(data: bytes, path: Path) -> str:
    text = decode(data)
    if text is None:
        raise ValueError(f"{path.name} looks binary, not text")
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _first_heading(text: str, fmt: str) -> str:
    headings = find_headings(text, fmt)
    top = min((h.level for h in headings), default=None)
    return next((h.title for h in headings if h.level == top), "")


def _front_matter(text: str) -> tuple[str, dict[str, str]]:
    """Strip YAML-style front matter (``---`` ... ``---``) and return its ``key: value`` lines."""
    m = re.match(r"---[ \t]*\n(.*?)\n---[ \t]*\n", text, re.S)
    if not m:
        return text, {}
    pairs = (line.split(":", 1) for line in m[1].splitlines() if ":" in line and not line.startswith((" ", "-")))
    return text[m.end():], {k.strip(): v.strip().strip("\"'") for k, v in pairs}


def _html(data: bytes) -> tuple[str, str]:
    """Visible text with headings turned into markdown ``#`` lines, and the page title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for h in soup.find_all(re.compile(r"^h[1-6]$")):
        h.insert(0, "#" * int(h.name[1]) + " ")
    lines = (line.strip() for line in html_to_text(str(soup)).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, title


def _pdf(path: Path) -> tuple[list[Record], str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("encrypted PDF")
    records = [Record(t.strip(), {"page": i + 1}) for i, page in enumerate(reader.pages)
               if (t := page.extract_text() or "").strip()]
    if not records:
        raise ValueError("no extractable text (a scanned PDF?)")
    title = str((reader.metadata or {}).get("/Title") or "").strip()
    first_line = records[0].text.splitlines()[0].strip()
    return records, title or (first_line if len(first_line) <= 120 else "")


def make_record(text: str, metadata: dict[str, Any] | None = None, where: dict[str, Any] | None = None) -> Record:
    """A record whose "title" field titles its chunks; keys the index sets itself get a ``record_`` prefix."""
    meta = {(f"record_{k}" if k in RESERVED_KEYS else k): v for k, v in (metadata or {}).items() if k != "title"}
    return Record(text, {**(where or {}), **meta}, str((metadata or {}).get("title") or ""))


def _json_record(row: Any, where: dict[str, Any]) -> Record | None:
    if not isinstance(row, dict):
        return Record(row, where) if isinstance(row, str) and row.strip() else None
    key = next((k for k in TEXT_FIELDS if isinstance(row.get(k), str)), None)
    if key is None:
        return None
    return make_record(row[key], {k: v for k, v in row.items() if k != key}, where)


def _json_rows(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and not any(isinstance(data.get(k), str) for k in TEXT_FIELDS):
        lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:  # {"data": [{...}, ...]}
            return lists[0]
    return [data]


def load_file(path: Path, fmt: str | None = None) -> Document:
    """Read one file; raises ValueError when it holds no usable text."""
    fmt = fmt or file_format(path)
    if fmt is None:
        raise ValueError(f"unsupported file type: {path.suffix or path.name}")
    if fmt == "pdf":
        records, title = _pdf(path)
        return Document(title or path.stem, fmt, records)
    data = path.read_bytes()
    if fmt == "html":
        text, title = _html(data)
        return Document(title or _first_heading(text, fmt) or path.stem, fmt, [Record(text)])
    text = _text(data, path)
    if fmt in ("json", "jsonl"):
        if fmt == "json":
            try:
                rows = [(r, {"record": i}) for i, r in enumerate(_json_rows(json.loads(text)))]
            except json.JSONDecodeError as e:
                raise ValueError(f"invalid JSON: {e}") from e
        else:
            rows = []
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        rows.append((json.loads(line), {"line": n}))
                    except json.JSONDecodeError as e:
                        raise ValueError(f"invalid JSON on line {n}: {e}") from e
        records = [r for row, where in rows if (r := _json_record(row, where)) is not None]
        if not records:
            raise ValueError(f"no rows with a text field ({', '.join(TEXT_FIELDS)})")
        single = len(records) == 1 and records[0].title
        return Document(records[0].title if single else path.stem, fmt, records)
    meta: dict[str, str] = {}
    if fmt == "markdown":
        text, meta = _front_matter(text)
    title = meta.pop("title", "") or _first_heading(text, fmt) or path.stem
    return Document(title, fmt, [Record(text)], meta)
