"""`agentlm serve` (the OpenAI-compatible server) and `agentlm jobs` (fine-tuning jobs on a running server)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

SERVE_EXAMPLES = """examples:
  agentlm serve                                        # the shipped model as "agentlm-small" on 127.0.0.1:8000
  agentlm serve --model tiny=runs/sft --model smollm2 --api-key secret --index docs
  AGENTLM_API_KEY=secret agentlm serve --host 0.0.0.0 --port 9000 --data-dir /srv/agentlm

then, with any OpenAI client (base URL http://127.0.0.1:8000/v1):
  curl http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model": "agentlm-small", "messages": [{"role": "user", "content": "Who are you?"}]}'
  curl http://127.0.0.1:8000/v1/agent/runs -d '{"question": "What is 17 * 23?", "strategy": "react"}' \\
      -H 'Content-Type: application/json'

routes: /v1/models, /v1/chat/completions (stream, tools, n, stop), /v1/embeddings (all-MiniLM-L6-v2),
/v1/agent/runs, /v1/files, /v1/fine_tuning/jobs (+ /cancel, /events, /checkpoints), /health.
Files, jobs and fine-tuned models live under --data-dir (SQLite); a restart loses nothing."""

JOBS_EXAMPLES = """examples:
  agentlm jobs create --file data/skills/train.jsonl --model agentlm-small --epochs 1 --suffix mine --wait
  agentlm jobs create --file pairs.jsonl --method dpo --model ft:agentlm-small:mine:ftjob-abc --beta 0.1
  agentlm jobs list
  agentlm jobs get ftjob-abc                  # the job as JSON
  agentlm jobs events ftjob-abc --follow      # oldest first; --follow until the job finishes
  agentlm jobs checkpoints ftjob-abc
  agentlm jobs cancel ftjob-abc

Every command talks to a running `agentlm serve` (--base-url, --api-key or AGENTLM_API_KEY)."""


def _cmd_serve(args: argparse.Namespace) -> int:
    from agentlm.serve.app import MB, ServerConfig, run
    from agentlm.serve.models import parse_model_specs

    config = ServerConfig(models=parse_model_specs(args.model),
                          api_key=args.api_key or os.environ.get("AGENTLM_API_KEY") or None,
                          data_dir=Path(args.data_dir), index=args.index,
                          max_request_bytes=int(args.max_request_mb * MB), max_file_bytes=int(args.max_file_mb * MB),
                          train_threads=args.train_threads)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not config.api_key:
        print("agentlm serve: warning: listening beyond this machine without --api-key", file=sys.stderr)
    run(config, host=args.host, port=args.port, log_level=args.log_level)
    return 0


class _Client:
    """A small httpx client for the server's /v1 API that raises readable errors."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        import httpx

        api_key = api_key or os.environ.get("AGENTLM_API_KEY")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=120)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise SystemExit(f"agentlm jobs: cannot reach {self.http.base_url} ({err}); "
                             "is `agentlm serve` running?") from err
        try:
            data = response.json()
        except ValueError:
            data = {"error": {"message": response.text[:500]}}
        if response.status_code >= 400:
            raise SystemExit(f"agentlm jobs: error {response.status_code}: {data.get('error', {}).get('message')}")
        return data


def _client(args: argparse.Namespace) -> _Client:
    return _Client(args.base_url, args.api_key)


def _number(value: str) -> str | float:
    return value if value == "auto" else float(value)


def _cmd_create(args: argparse.Namespace) -> int:
    client = _client(args)
    training = _file_id(client, args.file)
    validation = _file_id(client, args.validation_file) if args.validation_file else None
    hp: dict[str, Any] = {"n_epochs": _number(args.epochs), "batch_size": _number(args.batch_size),
                          "learning_rate_multiplier": _number(args.lr_multiplier)}
    if args.method == "dpo":
        hp["beta"] = _number(args.beta)
    body = {"training_file": training, "model": args.model, "validation_file": validation, "suffix": args.suffix,
            "seed": args.seed, "method": {"type": args.method, args.method: {"hyperparameters": hp}}}
    job = client.call("POST", "fine_tuning/jobs", json={k: v for k, v in body.items() if v is not None})
    print(json.dumps(job, indent=2) if args.json or not args.wait else f"created {job['id']} ({job['status']})")
    if args.wait:
        job = _follow(client, job["id"])
        print(json.dumps(job, indent=2) if args.json else _job_summary(job))
        return 0 if job["status"] == "succeeded" else 1
    return 0


def _file_id(client: _Client, value: str) -> str:
    """Upload a local file (purpose fine-tune) and return its id; an existing `file-…` id is used as is."""
    path = Path(value)
    if value.startswith("file-") and not path.exists():
        return value
    with path.open("rb") as f:
        uploaded = client.call("POST", "files", files={"file": (path.name, f)}, data={"purpose": "fine-tune"})
    print(f"uploaded {path} as {uploaded['id']} ({uploaded['bytes']:,} bytes)", file=sys.stderr)
    return uploaded["id"]


def _follow(client: _Client, job_id: str) -> dict[str, Any]:
    """Print the job's events as they come (oldest first) until it finishes; return the job."""
    seen: set[str] = set()
    while True:
        job = client.call("GET", f"fine_tuning/jobs/{job_id}")
        events = client.call("GET", f"fine_tuning/jobs/{job_id}/events", params={"limit": 1000})["data"]
        for event in reversed(events):
            if event["id"] not in seen:
                seen.add(event["id"])
                print(_event_line(event), flush=True)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(1.0)


def _event_line(event: dict[str, Any]) -> str:
    when = datetime.fromtimestamp(event["created_at"]).strftime("%H:%M:%S")
    return f"{when} {event['level']:<5} {event['message']}"


def _job_summary(job: dict[str, Any]) -> str:
    lines = [f"{job['id']}: {job['status']}"]
    if job.get("fine_tuned_model"):
        lines.append(f"fine_tuned_model: {job['fine_tuned_model']}")
    if job.get("error"):
        lines.append(f"error ({job['error']['code']}): {job['error']['message']}")
    return "\n".join(lines)


def _cmd_list(args: argparse.Namespace) -> int:
    params = {"limit": args.limit, **({"after": args.after} if args.after else {})}
    page = _client(args).call("GET", "fine_tuning/jobs", params=params)
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    print(f"{'id':<32} {'status':<17} {'model':<20} fine_tuned_model")
    for job in page["data"]:
        print(f"{job['id']:<32} {job['status']:<17} {job['model']:<20} {job.get('fine_tuned_model') or '-'}")
    if page.get("has_more"):
        print(f"… more: agentlm jobs list --after {page['data'][-1]['id']}")
    return 0


def _cmd_get(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).call("GET", f"fine_tuning/jobs/{args.job}"), indent=2))
    return 0


def _cmd_cancel(args: argparse.Namespace) -> int:
    job = _client(args).call("POST", f"fine_tuning/jobs/{args.job}/cancel")
    print(json.dumps(job, indent=2) if args.json else _job_summary(job))
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.follow:
        print(_job_summary(_follow(client, args.job)))
        return 0
    page = client.call("GET", f"fine_tuning/jobs/{args.job}/events", params={"limit": args.limit})
    if args.json:
        print(json.dumps(page, indent=2))
    else:
        for event in reversed(page["data"]):
            print(_event_line(event))
    return 0


def _cmd_checkpoints(args: argparse.Namespace) -> int:
    page = _client(args).call("GET", f"fine_tuning/jobs/{args.job}/checkpoints", params={"limit": args.limit})
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    for ckpt in page["data"]:
        m = ckpt["metrics"]
        figures = ", ".join(f"{k} {m[k]:.4f}" for k in ("train_loss", "train_mean_token_accuracy", "valid_loss")
                            if m.get(k) is not None)
        print(f"step {ckpt['step_number']}: {ckpt['fine_tuned_model_checkpoint']} ({figures})")
    return 0


def register(groups: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    """Add `agentlm serve` and `agentlm jobs ...` to the top-level parser."""
    p = groups.add_parser("serve", formatter_class=formatter, epilog=SERVE_EXAMPLES,
                          help="serve models over an OpenAI-compatible HTTP API (chat, embeddings, agent, fine-tuning)",
                          description="Run the OpenAI-compatible server: chat completions with streaming and tools, "
                                      "embeddings, the agent,\nand local fine-tuning jobs (one at a time).")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--model", action="append", metavar="[ID=]SPEC",
                   help="a model to serve (repeatable): a model dir, a .gguf file, 'smollm2' or a server URL; the id "
                        "defaults to the dir/file name (none given: the shipped model as agentlm-small)")
    p.add_argument("--api-key", default=None,
                   help="require 'Authorization: Bearer KEY' (unset: $AGENTLM_API_KEY; neither: no key needed)")
    p.add_argument("--data-dir", default="runs/service", help="files, jobs, fine-tuned models and agent threads")
    p.add_argument("--index", default=None, help="default retrieval index (name or path) for /v1/agent/runs")
    p.add_argument("--max-request-mb", type=float, default=4.0, help="largest JSON request body (413 above)")
    p.add_argument("--max-file-mb", type=float, default=512.0, help="largest file upload (413 above)")
    p.add_argument("--train-threads", type=int, default=None,
                   help="CPU threads per training job (unset: all cores but one)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_cmd_serve)

    jobs = groups.add_parser("jobs", formatter_class=formatter, epilog=JOBS_EXAMPLES,
                             help="fine-tuning jobs on a running `agentlm serve` (create, list, get, cancel, events)",
                             description="Create and follow fine-tuning jobs through the server's OpenAI-style API.")
    commands = jobs.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--base-url", default=os.environ.get("AGENTLM_BASE_URL", "http://127.0.0.1:8000/v1"))
        q.add_argument("--api-key", default=None, help="the server's key (unset: $AGENTLM_API_KEY)")
        q.add_argument("--json", action="store_true", help="print the API's JSON")

    q = commands.add_parser("create", formatter_class=formatter, help="upload data and start a job",
                            epilog=JOBS_EXAMPLES)
    common(q)
    q.add_argument("--file", required=True, help="training JSONL (uploaded) or an uploaded file id")
    q.add_argument("--validation-file", default=None, help="validation JSONL or file id (SFT: validation loss)")
    q.add_argument("--model", default="agentlm-small", help="base model id, or a fine-tuned model to continue")
    q.add_argument("--method", default="supervised", choices=["supervised", "dpo"])
    q.add_argument("--epochs", default="auto", help="a number or auto (OpenAI's rule)")
    q.add_argument("--batch-size", default="auto")
    q.add_argument("--lr-multiplier", default="auto", help="times 1e-3 (SFT) or 5e-5 (DPO)")
    q.add_argument("--beta", default="auto", help="DPO only")
    q.add_argument("--suffix", default=None, help="part of the fine-tuned model's name")
    q.add_argument("--seed", type=int, default=None)
    q.add_argument("--wait", action="store_true", help="print events until the job finishes")
    q.set_defaults(func=_cmd_create)

    q = commands.add_parser("list", formatter_class=formatter, help="jobs, newest first")
    common(q)
    q.add_argument("--limit", type=int, default=20)
    q.add_argument("--after", default=None, help="the last job id of the previous page")
    q.set_defaults(func=_cmd_list)

    for name, func, text in (("get", _cmd_get, "one job as JSON"), ("cancel", _cmd_cancel, "cancel a job"),
                             ("events", _cmd_events, "a job's events, oldest first"),
                             ("checkpoints", _cmd_checkpoints, "a job's checkpoints and their metrics")):
        q = commands.add_parser(name, formatter_class=formatter, help=text)
        common(q)
        q.add_argument("job", help="the job id (ftjob-…)")
        if name in ("events", "checkpoints"):
            q.add_argument("--limit", type=int, default=100)
        if name == "events":
            q.add_argument("--follow", action="store_true", help="keep printing until the job finishes")
        q.set_defaults(func=func)
