"""The `agentlm index` commands: build, query, list and prune retrieval indexes.

    agentlm index add docs/ README.md --index docs
    agentlm index query "how do I resume pretraining?" --index docs -k 3
    agentlm index list
    agentlm index delete README.md --index docs
"""

from __future__ import annotations

import argparse
import json
import sys


def _filters(items: list[str] | None) -> dict[str, object] | None:
    """``["source=*.md", "lang=en", "lang=zh"]`` -> ``{"source": "*.md", "lang": ["en", "zh"]}``."""
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--filter takes KEY=VALUE, got {item!r}")
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out or None


def _cmd_add(args: argparse.Namespace) -> int:
    from agentlm.retrieval import open_index

    with open_index(args.index, create=True, embedding_model=args.embedding_model, factory=args.factory,
                    chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap) as idx:
        report = idx.add(args.paths, exclude=args.exclude or ())
        stats = idx.stats()
    if args.json:
        print(json.dumps({"index": stats, "report": report.to_dict()}, ensure_ascii=False, indent=2))
    else:
        print(f"index {stats['name']} ({stats['path']}): {stats['documents']} documents, {stats['count']} chunks, "
              f"{stats['model']}, FAISS {stats['faiss']}")
        print(report.summary())
    return 0 if report.failed == 0 else 1


def _cmd_query(args: argparse.Namespace) -> int:
    from agentlm.retrieval import open_index

    with open_index(args.index) as idx:
        hits = idx.search(args.text, k=args.k, mode=args.mode, filters=_filters(args.filter))
    if args.json:
        print(json.dumps({"query": args.text, "index": args.index, "mode": args.mode,
                          "hits": [h.to_dict() for h in hits]}, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no results")
    for n, h in enumerate(hits, 1):
        where = f"chunk {h.chunk}" + (f", page {h.metadata['page']}" if "page" in h.metadata else "")
        print(f"[{n}] {h.score:.4f}  {h.doc}  ({where}; {h.title})")
        snippet = " ".join(h.text.split())
        print(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from agentlm.retrieval import list_indexes, open_index
    from agentlm.retrieval.index import index_root

    if args.index:
        with open_index(args.index) as idx:
            rows, stats = idx.documents(), idx.stats()
        if args.json:
            print(json.dumps({"index": stats, "documents": rows}, ensure_ascii=False, indent=2))
            return 0
        print(f"index {stats['name']} ({stats['path']}): {stats['documents']} documents, {stats['count']} chunks, "
              f"model {stats['model']} ({stats['dim']}-dim), FAISS {stats['faiss']}, "
              f"{stats['size_bytes'] / 1e6:.1f} MB")
        print("| chunks | added | title | document |\n|---:|---|---|---|")
        for r in rows:
            print(f"| {r['chunks']} | {r['added']} | {r['title']} | {r['doc']} |")
        return 0
    indexes = list_indexes()
    if args.json:
        print(json.dumps(indexes, ensure_ascii=False, indent=2))
    elif not indexes:
        print(f"no indexes in {index_root()}; create one with `agentlm index add PATH... --index NAME`")
    else:
        print(f"indexes in {index_root()}:\n| name | documents | chunks | model | factory |\n|---|---:|---:|---|---|")
        for i in indexes:
            print(f"| {i['name']} | {i['documents']} | {i['chunks']} | {i['model']} | {i['factory']} |")
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from agentlm.retrieval import open_index

    with open_index(args.index) as idx:
        try:
            removed = idx.delete(args.doc)
        except KeyError as e:
            print(f"agentlm: error: {e.args[0]}", file=sys.stderr)
            return 2
    print(f"removed {args.doc} ({removed} chunks) from {args.index}")
    return 0


def register(groups, formatter) -> None:
    """Add the `index` command group to the top-level parser."""
    index = groups.add_parser(
        "index", formatter_class=formatter, help="build and query retrieval indexes (FAISS + BM25)",
        description="Named indexes for retrieval-augmented answers: chunks in SQLite (with BM25), vectors in FAISS.\n"
                    "--index takes a name (a directory under $AGENTLM_INDEX_DIR, default ./indexes) or a path.\n\n"
                    "examples:\n  agentlm index add docs/ README.md --index docs\n"
                    "  agentlm index query \"how do I resume pretraining?\" --index docs\n"
                    "  agentlm index list\n  agentlm index delete README.md --index docs")
    cmds = index.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = cmds.add_parser(
        "add", formatter_class=formatter, help="create an index or add/update files in it",
        description="Ingest txt, md, rst, html, pdf, json and jsonl files, or folders of them (recursively).\n"
                    "Changed files replace their old chunks; unchanged files are skipped; other file types are\n"
                    "skipped with a warning. The chunking, factory and model options apply when the index is\n"
                    "created (given for an existing index they must match it).\n\n"
                    "examples:\n  agentlm index add docs/ --index docs\n"
                    "  agentlm index add papers/ --index papers --factory HNSW32 --chunk-size 1200\n"
                    "  agentlm index add notes.jsonl --index ./my-index --factory 'IVF{n},Flat'")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--index", required=True, help="index name or path")
    p.add_argument("--chunk-size", type=int, default=None, help="characters per chunk (new index: 800)")
    p.add_argument("--chunk-overlap", type=int, default=None, help="characters repeated between chunks (new: 100)")
    p.add_argument("--factory", default=None,
                   help="faiss.index_factory string: Flat, HNSW32, IVF{n},Flat (n picked from the count)... "
                        "(new index: Flat)")
    p.add_argument("--embedding-model", default=None,
                   help="sentence-transformers model dir (new index: the bundled all-MiniLM-L6-v2)")
    p.add_argument("--exclude", action="append", help="glob of file names or paths to skip (repeatable)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_add)

    p = cmds.add_parser(
        "query", formatter_class=formatter, help="search an index",
        description="Hybrid search fuses BM25 and dense results by reciprocal rank; dense is cosine similarity\n"
                    "of the embeddings; bm25 is keyword search (also for Chinese text).\n\n"
                    "examples:\n  agentlm index query \"tokenizer training\" --index docs -k 3\n"
                    "  agentlm index query \"ZX-4471\" --index docs --mode bm25 --filter source='*.md'\n"
                    "  agentlm index query \"机器学习\" --index zh --json")
    p.add_argument("text", help="the query")
    p.add_argument("--index", required=True, help="index name or path")
    p.add_argument("-k", type=int, default=5, help="number of results")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"])
    p.add_argument("--filter", action="append", metavar="KEY=VALUE",
                   help="source=GLOB on the document path, or KEY=VALUE on chunk metadata (repeatable)")
    p.add_argument("--json", action="store_true", help="print {query, index, mode, hits: [{doc, chunk, score, "
                                                       "text, title, metadata}]}")
    p.set_defaults(func=_cmd_query)

    p = cmds.add_parser(
        "list", formatter_class=formatter, help="list indexes, or the documents of one",
        description="examples:\n  agentlm index list\n  agentlm index list --index docs")
    p.add_argument("--index", default=None, help="index name or path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list)

    p = cmds.add_parser(
        "delete", formatter_class=formatter, help="remove a document and its chunks from an index",
        description="DOC is the document's path as listed by `agentlm index list --index NAME` (a relative\n"
                    "path or a unique file name works too).\n\nexample:\n  agentlm index delete README.md --index docs")
    p.add_argument("doc", help="document path or name")
    p.add_argument("--index", required=True, help="index name or path")
    p.set_defaults(func=_cmd_delete)
