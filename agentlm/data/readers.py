"""Read real text out of files and folders.

Every reader yields documents as ``(text, source)`` pairs. Supported formats:
plain text (.txt .md .rst), HTML, roff man pages, dictd ``.dict`` files (dict-gcide),
WordNet ``data.*`` files, fortune files, R data files holding character vectors
(janeaustenr) and any of these compressed with gzip/dictzip, bzip2 or xz.
Anything else is skipped and counted in :class:`ReadStats`.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import lzma
import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

Document = tuple[str, str]  # (text, source)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".rst"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
R_SUFFIXES = {".rdb", ".rds", ".rda", ".rdata"}
WORDNET_FILES = {"data.noun", "data.verb", "data.adj", "data.adv"}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "__pycache__", "node_modules"}
SKIP_NAMES = ("genindex*.html", "*modindex.html", "search.html")  # generated Sphinx index pages
MAN_SUFFIX = re.compile(r"\.[1-9n][a-z0-9+]{0,8}$")
GROUP_CHARS = 8_000  # short entries (fortunes, glosses) are packed into documents of about this size


@dataclass
class ReadStats:
    """What the readers saw: files read per format and files skipped per reason."""

    files_read: Counter = field(default_factory=Counter)
    files_skipped: Counter = field(default_factory=Counter)


def iter_files(inputs: Iterable[Path], exclude: Iterable[str] = ()) -> Iterator[Path]:
    """Yield every file under ``inputs`` once (symlinks resolved), sorted, skipping build dirs.

    ``exclude`` holds glob patterns matched against the file name and the full path.
    """
    patterns = [*SKIP_NAMES, *exclude]
    seen: set[Path] = set()
    for root in inputs:
        root = Path(root)
        if not root.exists():
            raise FileNotFoundError(f"corpus input not found: {root}")
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            if any(part in SKIP_DIRS or part.startswith(".") for part in path.relative_to(root).parts[:-1]):
                continue
            if any(fnmatch.fnmatch(path.name, pat) or fnmatch.fnmatch(str(path), pat) for pat in patterns):
                continue
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                yield path


def _strip_compression(name: str) -> tuple[str, str | None]:
    """Split ``foo.1.gz`` into (``foo.1``, ``gz``)."""
    for ext in ("gz", "dz", "bz2", "xz"):
        if name.endswith("." + ext):
            return name[: -len(ext) - 1], ext
    return name, None


def detect_format(path: Path) -> str | None:
    """Return the format name for ``path`` or None when we do not read it."""
    inner, comp = _strip_compression(path.name.lower())
    suffix = Path(inner).suffix
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in R_SUFFIXES:
        return "rdata"
    if suffix == ".dict":
        return "dict"
    if inner in WORDNET_FILES:
        return "wordnet"
    if MAN_SUFFIX.search(inner) and (path.parent.name.startswith("man") or comp):
        return "man"
    in_fortune_dir = "fortune" in path.parent.name.lower()
    if (in_fortune_dir and suffix in ("", ".u8")) or path.with_name(path.name + ".dat").exists():
        return "fortune"
    if comp and suffix == "":
        return "text"  # plain gzip'd text
    return None


def read_bytes(path: Path) -> bytes:
    """File contents, decompressed when the name says so (dictzip is gzip-compatible)."""
    _, comp = _strip_compression(path.name.lower())
    if comp in ("gz", "dz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    if comp == "bz2":
        return bz2.decompress(path.read_bytes())
    if comp == "xz":
        return lzma.decompress(path.read_bytes())
    return path.read_bytes()


def decode(data: bytes) -> str | None:
    """Decode bytes as UTF-8, then GB18030, then Latin-1; None for binary data."""
    head = data[:8192]
    if b"\x00" in head:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    text = data.decode("latin-1")
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\n\r\t\f\b\x1b")
    return None if controls > 0.01 * min(len(text), 8192) else text


_TAGGED = re.compile(r"^[^\s/]+/[a-zA-Z]{1,4}$")


def untag(text: str) -> str:
    """Turn POS/segmentation-tagged text (``迈向/v 充满/v`` or ``迈/b 向/e``) into plain text.

    Text where fewer than 90% of tokens look like ``token/tag`` is returned unchanged.
    """
    tokens = text[:20_000].split()
    if len(tokens) < 20 or sum(bool(_TAGGED.match(t)) for t in tokens) < 0.9 * len(tokens):
        return text
    lines = []
    for line in text.splitlines():
        words = [t.rsplit("/", 1)[0] if _TAGGED.match(t) else t for t in line.split()]
        out = ""
        for w in words:  # no space between CJK tokens, one space between Latin words
            if out and out[-1].isascii() and out[-1].isalnum() and w[0].isascii() and w[0].isalnum():
                out += " "
            out += w
        lines.append(out)
    return "\n".join(lines)


def group(items: Iterable[str], size: int = GROUP_CHARS) -> Iterator[str]:
    """Pack short items into documents of about ``size`` characters, separated by blank lines."""
    buf: list[str] = []
    n = 0
    for item in items:
        item = item.strip()
        if not item:
            continue
        buf.append(item)
        n += len(item) + 2
        if n >= size:
            yield "\n\n".join(buf)
            buf, n = [], 0
    if buf:
        yield "\n\n".join(buf)


# --- HTML -------------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "nav", "noscript", "header", "footer", "form", "svg", "iframe", "button"]
_DROP_CLASSES = re.compile(r"sphinxsidebar|related|footer|headerlink|breadcrumb|navigation|toc-drawer")
_BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "br",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "hr",
    "title",
]


def html_to_text(data: bytes | str) -> str:
    """Visible text of an HTML page: scripts, styles, navigation and sidebars removed."""
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(data, "lxml")
    except Exception:  # lxml missing: fall back to the stdlib parser
        soup = BeautifulSoup(data, "html.parser")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": "navigation"}):
        tag.decompose()
    for tag in soup.find_all(class_=_DROP_CLASSES):
        tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup
    for s in root.find_all(string=True):  # reflow source line breaks, except in <pre>
        if "\n" in s and s.find_parent("pre") is None:
            s.replace_with(s.replace("\n", " "))
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return root.get_text()


# --- roff man pages -----------------------------------------------------------------------------

_ROFF_CHARS = {
    "em": "—",
    "en": "–",
    "hy": "-",
    "bu": "•",
    "aq": "'",
    "dq": '"',
    "lq": "“",
    "rq": "”",
    "oq": "‘",
    "cq": "’",
    "ga": "`",
    "ha": "^",
    "ti": "~",
    "rs": "\\",
    "sl": "/",
    "co": "©",
    "rg": "®",
    "tm": "™",
    "de": "°",
    "mu": "×",
    "di": "÷",
    "pl": "+",
    "mi": "-",
    "eq": "=",
    "<=": "≤",
    ">=": "≥",
    "!=": "≠",
    "->": "→",
    "<-": "←",
    "ua": "↑",
    "da": "↓",
    "bv": "|",
    "ba": "|",
    "br": "|",
    "or": "|",
    "at": "@",
    "sh": "#",
    "Do": "$",
    "pd": "∂",
    "ci": "○",
    "ul": "_",
    "Fo": "«",
    "Fc": "»",
    "fo": "‹",
    "fc": "›",
    "dg": "†",
    "sc": "§",
    "ps": "¶",
    "Aq": "'",
    "Lq": "“",
    "Rq": "”",
    "Gt": ">",
    "Lt": "<",
    "Le": "≤",
    "Ge": "≥",
    "PI": "π",
    "R": "®",
    "Tm": "™",
    "q": '"',
    "Em": "—",
}
_ROFF_ESCAPE = re.compile(
    r"""\\(?:
      (?P<bs>\\)
    | \((?P<c2>..)                               # \(xx  special character
    | \[(?P<cn>[^\]]*)\]                         # \[name]
    | \*(?:\((?P<s2>..)|\[(?P<sn>[^\]]*)\]|(?P<s1>.))   # \*x \*(xx \*[name]  strings
    | [fF](?:\(..|\[[^\]]*\]|.)                  # font changes
    | s[-+]?(?:\d\d?|\(\d\d|\[\d*\])             # size changes
    | [nmgkV](?:\(..|\[[^\]]*\]|.)               # registers, colours
    | [hvwoxlLDbHSRNXYZAB]'[^']*'                # escapes with a quoted argument
    | (?P<keep>[-.'`e\ ~0])                       # characters that stand for themselves
    | [&|^,/:%cdruptkzE!?)]                       # zero-width and layout escapes
    | (?P<other>.)
    )""",
    re.X,
)
_ROFF_KEEP = {"-": "-", ".": ".", "'": "'", "`": "`", "e": "\\", " ": " ", "~": " ", "0": " "}
_MDOC_QUOTES = {"Dq": "“”", "Qq": '""', "Sq": "‘’", "Pq": "()", "Op": "[]", "Aq": "<>", "Bq": "[]", "Brq": "{}"}
_MDOC_OPEN_CLOSE = {
    "Oo": "[",
    "Oc": "]",
    "Do": "“",
    "Dc": "”",
    "Po": "(",
    "Pc": ")",
    "Bo": "[",
    "Bc": "]",
    "Qo": '"',
    "Qc": '"',
    "So": "‘",
    "Sc": "’",
}
_MDOC_CALLABLE = (
    set(_MDOC_QUOTES)
    | set(_MDOC_OPEN_CLOSE)
    | set(
        [
            "Ad",
            "Ar",
            "Cm",
            "Dv",
            "Er",
            "Ev",
            "Fa",
            "Fl",
            "Fn",
            "Ft",
            "Ic",
            "Li",
            "Lk",
            "Ms",
            "Mt",
            "Nm",
            "Ns",
            "Pa",
            "Va",
            "Xr",
            "Em",
            "Sy",
            "Ql",
            "No",
            "Tn",
            "Ux",
            "Bx",
            "At",
            "St",
            "Xo",
            "Xc",
        ]
    )
)
_PARA_MACROS = {"PP", "P", "LP", "sp", "Pp", "Lp", "HP", "TP", "IP", "TQ", "It", "SH", "SS", "Sh", "Ss"}
_FONT_MACROS = {"B", "I", "SM", "SB", "BR", "RB", "BI", "IB", "IR", "RI", "CW", "UR", "MT"}


def _roff_escapes(line: str) -> str:
    def sub(m: re.Match) -> str:
        if m["bs"]:
            return "\\"
        name = m["c2"] or m["cn"] or m["s2"] or m["sn"] or m["s1"]
        if name is not None:
            if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
                return chr(int(name[1:], 16))
            return _ROFF_CHARS.get(name, "")
        if m["keep"]:
            return _ROFF_KEEP[m["keep"]]
        return ""

    return _ROFF_ESCAPE.sub(sub, line)


def _roff_args(rest: str) -> list[str]:
    return [a[1:-1] if a.startswith('"') and a.endswith('"') else a for a in re.findall(r'"[^"]*"|\S+', rest)]


def _mdoc_line(args: list[str], name: str) -> str:
    """Render the arguments of an mdoc line (``Op Fl o Ar file`` -> ``[-o file]``)."""
    out: list[str] = []
    closers: list[str] = []
    glue = False  # .Ns: no space before the next word
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        word: str | None = None
        if a == "Fl":
            word = "-" + (nxt if nxt and nxt not in _MDOC_CALLABLE else "")
            i += 1 if nxt and nxt not in _MDOC_CALLABLE else 0
        elif a == "Nm":
            word = nxt if nxt and nxt not in _MDOC_CALLABLE else name
            i += 1 if nxt and nxt not in _MDOC_CALLABLE else 0
        elif a == "Xr" and nxt and i + 2 < len(args):
            word = f"{nxt}({args[i + 2]})"
            i += 2
        elif a in _MDOC_QUOTES:
            word, glue = _MDOC_QUOTES[a][0], True
            closers.append(_MDOC_QUOTES[a][1])
        elif a in _MDOC_OPEN_CLOSE:
            word = _MDOC_OPEN_CLOSE[a]
            if word in "[(“‘" or word == '"' and a == "Qo":
                out.append(word)
                glue = True
                i += 1
                continue
            out[-1:] = [(out[-1] if out else "") + word]
            i += 1
            continue
        elif a == "Ns":
            glue = True
        elif a not in _MDOC_CALLABLE:
            word = a
        if word is not None:
            if word in (".", ",", ";", ":", ")", "]") and out or glue and out:
                out[-1] += word
            else:
                out.append(word)
            glue = glue and a in _MDOC_QUOTES
        i += 1
    return " ".join(out) + "".join(reversed(closers))


def roff_to_text(src: str) -> str:
    """Plain text of a man page (man or mdoc macros), without needing groff.

    Filled text is joined into paragraphs; ``.nf``/``.EX`` blocks keep their lines.
    """
    out: list[str] = [""]
    fill, join_next, tag_line = True, False, False
    name = ""
    skip_until: str | None = None  # inside .de/.ig blocks
    in_table_spec = False

    def emit(text: str, brk: bool = False) -> None:
        nonlocal join_next, tag_line
        brk, tag_line = brk or tag_line, False
        if fill and join_next and out[-1]:
            out[-1] += " " + text
        else:
            out.append(text)
        join_next = fill and not brk

    def para(blank: bool = True) -> None:
        nonlocal join_next
        if blank and out[-1]:
            out.append("")
        join_next = False

    for raw in src.splitlines():
        line = re.sub(r'(?<!\\)\\".*$', "", raw)  # comments
        if skip_until is not None:
            if line.strip().startswith(skip_until):
                skip_until = None
            continue
        if in_table_spec:  # tbl format lines end with '.'
            in_table_spec = not line.rstrip().endswith(".")
            continue
        if line[:1] not in (".", "'"):
            if line.strip() or not fill:
                emit(_roff_escapes(line.replace("T{", "").replace("T}", "").replace("\t", "  ")))
            else:
                para()
            continue
        m = re.match(r"[.'][ \t]*(\S*)[ \t]*(.*)", line)
        macro, args = (m[1], _roff_args(m[2])) if m else ("", [])
        if macro in ("de", "de1", "am", "ig"):
            skip_until = ".."
        elif macro == "TS":
            in_table_spec, fill = True, False
            para()
        elif macro in ("nf", "EX", "Bd", "TE"):
            fill = macro != "Bd" or "-literal" in args or "-unfilled" in args
            fill = fill and macro == "TE"
            para(macro != "TE")
        elif macro in ("fi", "EE", "Ed"):
            fill = True
            para()
        elif macro in ("br", "ti"):
            para(blank=False)
        elif macro in _PARA_MACROS:
            para()
            if macro in ("SH", "SS", "Sh", "Ss") and args:
                emit(_roff_escapes(" ".join(args)), brk=True)
                para(blank=False)
            elif macro == "IP" and args:
                emit(_roff_escapes(args[0]), brk=True)
            elif macro == "It" and args:
                emit(_roff_escapes(_mdoc_line(args, name)), brk=True)
            elif macro in ("TP", "TQ"):
                tag_line = True  # the next line is the tag and stands on its own
        elif macro in _FONT_MACROS:
            joiner = "" if len(macro) == 2 and macro.isupper() and macro not in ("SM", "SB", "CW") else " "
            emit(_roff_escapes(joiner.join(args)))
        elif macro == "Nd":
            emit("- " + _roff_escapes(" ".join(args)))
        elif macro == "Nm" and not name and args:
            name = args[0]
            emit(_roff_escapes(_mdoc_line([macro, *args], name)))
        elif macro in _MDOC_CALLABLE:
            emit(_roff_escapes(_mdoc_line([macro, *args], name)))
        # every other request (.TH, .RS, .ft, .Bl, .Dd, .so, ...) carries no running text
    text = "\n".join(line.rstrip() for line in out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- dictionaries -----------------------------------------------------------------------------


def wordnet_to_text(text: str) -> Iterator[str]:
    """WordNet ``data.*`` lines to ``word, synonym (n.): gloss`` entries."""
    pos_names = {"n": "n.", "v": "v.", "a": "adj.", "s": "adj.", "r": "adv."}
    for line in text.splitlines():
        if not line or line.startswith(" ") or " | " not in line:
            continue
        head, gloss = line.split(" | ", 1)
        fields = head.split()
        try:
            n_words = int(fields[3], 16)
        except (IndexError, ValueError):
            continue
        words = [re.sub(r"\([a-z]+\)$", "", w).replace("_", " ") for w in fields[4 : 4 + 2 * n_words : 2]]
        yield f"{', '.join(words)} ({pos_names.get(fields[2], fields[2])}): {gloss.strip()}"


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _b64_int(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64[c]
    return n


def dict_entries(data: bytes, index: Path | None = None) -> list[str]:
    """Entries of a dictd database, in file order, without its ``00-database-*`` headers.

    With the sibling ``.index`` file (headword, base64 offset, base64 length) entries are cut
    exactly; without it the text is split on unindented lines.
    """
    if index is not None and index.exists():
        spans = set()
        for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and not parts[0].startswith(("00-database", "00database")):
                spans.add((_b64_int(parts[1]), _b64_int(parts[2])))
        entries = [data[o : o + n].decode("utf-8", errors="replace") for o, n in sorted(spans)]
        return [e for e in entries if not e.startswith(("00-database", "00database"))]
    text = data.decode("utf-8", errors="replace")
    return [p for p in re.split(r"\n(?=\S)", text) if not p.startswith("00-database-")]


def fortunes(text: str) -> list[str]:
    """Split a fortune file on lines holding a single ``%``."""
    return re.split(r"^%%?\s*$", text, flags=re.M)


# --- R data (janeaustenr) -----------------------------------------------------------------------


def _r_strings(blob: bytes) -> list[str] | None:
    """Character vector held by one R XDR serialization (``X\\n`` header), else None."""
    if blob.startswith(b"RDX3\n") or blob.startswith(b"RDX2\n"):
        blob = blob[5:]
    if not blob.startswith(b"X\n"):
        return None
    version, _, _ = struct.unpack(">iii", blob[2:14])
    pos = 14
    if version == 3:
        (n,) = struct.unpack(">i", blob[pos : pos + 4])
        pos += 4 + n
    (flags,) = struct.unpack(">i", blob[pos : pos + 4])
    if flags & 0xFF == 2:  # .rda: a pairlist (name, value); step to the value
        pos += 4
        if flags & (1 << 10):  # has tag
            (tflags,) = struct.unpack(">i", blob[pos : pos + 4])
            pos += 4
            if tflags & 0xFF == 1:  # SYMSXP followed by its CHARSXP
                (_, ln) = struct.unpack(">ii", blob[pos : pos + 8])
                pos += 8 + max(ln, 0)
        (flags,) = struct.unpack(">i", blob[pos : pos + 4])
    if flags & 0xFF != 16:  # not a STRSXP
        return None
    (length,) = struct.unpack(">i", blob[pos + 4 : pos + 8])
    pos += 8
    out = []
    for _ in range(length):
        (_, ln) = struct.unpack(">ii", blob[pos : pos + 8])
        pos += 8
        if ln >= 0:
            out.append(blob[pos : pos + ln].decode("utf-8", errors="replace"))
            pos += ln
    return out


def r_documents(path: Path) -> Iterator[list[str]]:
    """Character vectors in an R lazy-load DB (``.rdb``), ``.rds`` or ``.rda`` file."""
    data = path.read_bytes()
    if path.suffix.lower() == ".rdb":  # each object: 4-byte length + zlib stream
        pos = 0
        while pos + 4 < len(data):
            d = zlib.decompressobj()
            try:
                blob = d.decompress(data[pos + 4 :])
            except zlib.error:
                return
            pos = len(data) - len(d.unused_data)
            if (strings := _r_strings(blob)) is not None:
                yield strings
        return
    for opener in (gzip.decompress, bz2.decompress, lzma.decompress, bytes):
        try:
            blob = opener(data)
            break
        except Exception:
            continue
    if (strings := _r_strings(blob)) is not None:
        yield strings


# --- dispatch ---------------------------------------------------------------------------------


def read_file(path: Path, stats: ReadStats | None = None) -> Iterator[Document]:
    """Yield the documents in one file; unknown or binary files yield nothing and are counted."""
    stats = stats if stats is not None else ReadStats()
    fmt = detect_format(path)
    if fmt is None:
        stats.files_skipped["unknown format"] += 1
        return
    source = str(path)
    if fmt == "rdata":
        n = 0
        for i, lines in enumerate(r_documents(path)):
            n += 1
            yield "\n".join(lines), f"{source}#{i}"
        stats.files_read[fmt] += n > 0
        stats.files_skipped["no character data"] += n == 0
        return
    try:
        data = read_bytes(path)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        stats.files_skipped[f"unreadable ({type(e).__name__})"] += 1
        return
    if fmt == "html":
        stats.files_read[fmt] += 1
        yield html_to_text(data), source
        return
    if fmt == "dict":
        stats.files_read[fmt] += 1
        index = path.with_name(_strip_compression(path.name)[0].removesuffix(".dict") + ".index")
        yield from ((doc, source) for doc in group(dict_entries(data, index), size=4 * GROUP_CHARS))
        return
    text = decode(data)
    if text is None:
        stats.files_skipped["binary"] += 1
        return
    stats.files_read[fmt] += 1
    if fmt == "text":
        yield untag(text), source
    elif fmt == "man":
        yield roff_to_text(text), source
    elif fmt == "wordnet":
        yield from ((doc, source) for doc in group(wordnet_to_text(text)))
    elif fmt == "fortune":
        yield from ((doc, source) for doc in group(fortunes(text)))


def read_documents(
    inputs: Iterable[Path], stats: ReadStats | None = None, exclude: Iterable[str] = ()
) -> Iterator[Document]:
    """Yield ``(text, source)`` for every readable document under ``inputs``."""
    for path in iter_files(inputs, exclude):
        yield from read_file(path, stats)
