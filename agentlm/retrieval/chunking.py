"""Split text into chunks that follow its structure: headings, then paragraphs, then sentences, then words.

Chunks are at most ``chunk_size`` characters, never start or end mid-word, and the next chunk repeats up to
``chunk_overlap`` characters of the previous one (starting at a sentence or word boundary). Every chunk knows
its character offsets in the text and the nearest heading above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and CJK ideographs: no spaces between words
HEADING_FORMATS = ("markdown", "rst", "html")  # html is converted to markdown-style headings by the loader

_ATX = re.compile(r"(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r"[ \t]*(```|~~~)")
_RST_ADORNMENT = re.compile(r"([=\-`:'\"~^_*+#<>.!$%&(),/;?@\[\]{|}\\])\1{2,}[ \t]*")
_SETEXT = re.compile(r"(=+|-+)[ \t]*")
_PARA_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?;:])|(?<=[.!?;:][\"'”’)\]]))\s+"  # after . ! ? ; : (and a closing quote)
                             r"|(?<=[。！？；])\s*"  # after CJK sentence punctuation
                             r"|\n(?=[ \t]*(?:[-*+•]|\d+[.)])\s)")  # before a list item
_SENTENCE_START = re.compile(r"(?:(?<=[.!?;:]\s)|(?<=[。！？；])|(?<=\n))\S")
_WORD_START = re.compile(rf"(?:(?<=\s)|(?<=[{CJK}]))\S|[{CJK}]")
_TOKEN = re.compile(rf"[{CJK}]|[^\s{CJK}]+")


@dataclass
class Heading:
    start: int  # offset of the heading's first line (its overline in rst)
    end: int  # offset just after the heading (and its underline)
    level: int
    title: str


@dataclass
class Chunk:
    text: str
    start: int  # character offsets in the chunked text
    end: int
    title: str  # nearest heading above the chunk ("" when there is none)
    section: str  # heading path, e.g. "Install > From source"


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def find_headings(text: str, fmt: str) -> list[Heading]:
    """Markdown (ATX and setext) or reStructuredText section headings, in order."""
    if fmt not in HEADING_FORMATS:
        return []
    lines, headings = _lines(text), []
    rst_styles: list[tuple[str, bool]] = []  # rst levels: adornment styles in order of first use
    in_fence, skip = False, 0
    for i, (pos, line) in enumerate(lines):
        if skip:
            skip -= 1
            continue
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        prev_blank = i == 0 or not lines[i - 1][1].strip()
        if fmt != "rst":
            if _FENCE.match(line):
                in_fence = not in_fence
            if in_fence:
                continue
            if m := _ATX.fullmatch(line):
                headings.append(Heading(pos, pos + len(line), len(m[1]), m[2].strip()))
            elif line.strip() and prev_blank and len(line) <= 200 and _SETEXT.fullmatch(nxt) and len(nxt.strip()) > 1:
                headings.append(Heading(pos, lines[i + 1][0] + len(nxt), 1 if nxt[0] == "=" else 2, line.strip()))
                skip = 1
            continue
        title_line, over = line, False  # rst: optional overline, title, underline at least as long as the title
        if (m := _RST_ADORNMENT.fullmatch(line)) and nxt.strip() and i + 2 < len(lines):
            under = lines[i + 2][1]
            if under.strip() == line.strip() and len(line.strip()) >= len(nxt.strip()):
                title_line, over, nxt = nxt, True, under
        if not title_line.strip() or title_line[0].isspace() or _RST_ADORNMENT.fullmatch(title_line):
            continue
        if not over and not prev_blank:
            continue
        if (m := _RST_ADORNMENT.fullmatch(nxt)) and len(nxt.strip()) >= len(title_line.strip()):
            style = (m[1], over)
            if style not in rst_styles:
                rst_styles.append(style)
            end_line = lines[i + (2 if over else 1)]
            headings.append(Heading(pos, end_line[0] + len(end_line[1]), rst_styles.index(style) + 1,
                                    title_line.strip()))
            skip = 2 if over else 1
    return headings


def _sections(text: str, fmt: str) -> list[tuple[int, int, str, str]]:
    """(start, end, title, heading path) of each section; a heading without body joins the next section."""
    headings = find_headings(text, fmt)
    bounds = [(0, None)] + [(h.start, h) for h in headings] + [(len(text), None)]
    out: list[tuple[int, int, str, str]] = []
    path: list[Heading] = []
    carry: int | None = None  # start of a heading-only section waiting to join the next one
    for (start, h), (end, _) in zip(bounds, bounds[1:], strict=False):
        if h is not None:
            path = [p for p in path if p.level < h.level] + [h]
        body_start = h.end if h is not None else start
        if not text[body_start:end].strip():
            if h is not None and carry is None:
                carry = start
            continue
        out.append((carry if carry is not None else start, end, path[-1].title if path else "",
                    " > ".join(p.title for p in path)))
        carry = None
    if carry is not None:  # trailing headings without any body
        out.append((carry, len(text), path[-1].title if path else "", " > ".join(p.title for p in path)))
    return out


def _spans(text: str, start: int, end: int, sep: re.Pattern) -> list[tuple[int, int]]:
    """Split text[start:end] at ``sep`` matches into spans trimmed of surrounding whitespace."""
    out, pos = [], start
    for m in [*sep.finditer(text, start, end), None]:
        a, b = pos, (m.start() if m else end)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
        if m is not None:
            pos = m.end()
    return out


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph spans; blank lines inside a fenced code block do not split it."""
    out: list[tuple[int, int]] = []
    open_fence = False
    for a, b in _spans(text, start, end, _PARA_BREAK):
        if open_fence and out:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
        fences = sum(1 for line in text[a:b].splitlines() if _FENCE.match(line))
        open_fence = open_fence != (fences % 2 == 1)
    return out


def _words(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Word spans (a CJK character is a word); a token longer than ``max_len`` (a URL, base64) is cut."""
    out: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text, start, end):
        a, b = m.span()
        out += [(i, min(i + max_len, b)) for i in range(a, b, max_len)]
    return out


def _units(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int, bool, int]]:
    """(start, end, starts a paragraph, end of that paragraph): paragraphs, or their sentences and words."""
    units = []
    for pa, pb in _paragraphs(text, start, end):
        pieces = [(pa, pb)] if pb - pa <= max_len else [
            w for sa, sb in _spans(text, pa, pb, _SENTENCE_BREAK)
            for w in ([(sa, sb)] if sb - sa <= max_len else _words(text, sa, sb, max_len))]
        units += [(a, b, i == 0, pb) for i, (a, b) in enumerate(pieces)]
    return units


def _overlap_start(text: str, lo: int, hi: int) -> int | None:
    """First sentence start in text[lo:hi], else first word start, else None."""
    m = _SENTENCE_START.search(text, lo, hi) or _WORD_START.search(text, lo, hi)
    return m.start() if m else None


def check_sizes(chunk_size: int, chunk_overlap: int) -> None:
    """Raise ValueError unless 20 <= chunk_size and 0 <= chunk_overlap < chunk_size / 2."""
    if chunk_size < 20 or not 0 <= chunk_overlap < chunk_size / 2:
        raise ValueError(f"need chunk_size >= 20 and 0 <= chunk_overlap < chunk_size / 2 (characters), got "
                         f"chunk_size={chunk_size}, chunk_overlap={chunk_overlap}")


def chunk_text(text: str, chunk_size: int = 800, chunk_overlap: int = 100, fmt: str = "text") -> list[Chunk]:
    """Chunks of ``text`` (format "text", "markdown", "rst" or "html") following its structure."""
    check_sizes(chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    for s_start, s_end, title, section in _sections(text, fmt):
        spans: list[list[int]] = []  # [start, end] of each chunk of this section
        for a, b, para_start, para_end in _units(text, s_start, s_end, chunk_size - chunk_overlap):
            if not spans:
                spans.append([a, b])
                continue
            cur = spans[-1]
            fill = cur[1] - cur[0]
            keep_paragraph_whole = para_start and para_end - cur[0] > chunk_size and fill >= chunk_size // 2
            if b - cur[0] <= chunk_size and not keep_paragraph_whole:
                cur[1] = b  # the unit fits: grow the chunk
                continue
            o = _overlap_start(text, max(cur[0] + 1, cur[1] - chunk_overlap), cur[1]) if chunk_overlap else None
            spans.append([o if o is not None and b - o <= chunk_size else a, b])  # new chunk, with overlap
        chunks += [Chunk(text[a:b], a, b, title, section) for a, b in spans]
    return chunks
