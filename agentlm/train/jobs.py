"""The fine-tuning job service: OpenAI-shaped files and jobs, trained on this machine one at a time.

    service = JobService("runs/service")        # SQLite + uploaded files + job dirs under the data dir
    service.start()                              # run the queue in this process (recovers interrupted jobs)
    file = service.create_file("data/skills/train.jsonl")
    job = service.create_job(file["id"], "agentlm-small",
                             method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}})
    job = service.wait(job["id"])                # job["fine_tuned_model"] == "ft:agentlm-small::ftjob-…"
    service.model_path(job["fine_tuned_model"])  # the model directory, loadable at once
    service.shutdown()

Public methods (the HTTP server and the Gradio UI call exactly these; all return OpenAI-shaped dicts):

- files: `create_file(file, filename=None, purpose="fine-tune")` (a path, bytes or a binary file object),
  `list_files(purpose=None, after=None, limit=100, order="desc")`, `retrieve_file(id)`, `delete_file(id)`,
  `file_content(id) -> bytes`, `file_path(id) -> Path`
- jobs: `create_job(training_file, model, method=None, validation_file=None, suffix=None, seed=None,
  hyperparameters=None, metadata=None)`, `list_jobs(after=None, limit=20)`, `retrieve_job(id)`,
  `cancel_job(id)`, `list_events(id, after=None, limit=20)` (newest first), `list_checkpoints(id, after=None,
  limit=10)`, `wait(id, timeout=None)`
- models: `model_path(model_id) -> Path` (base ids, `ft:BASE:SUFFIX:JOB_ID` and their `:ckpt-step-N`),
  `fine_tuned_models()` (model objects for `/v1/models`), `base_models` (id -> path)
- lifecycle: `start() -> bool` (False when another process already runs the queue on this data dir; this
  instance can still create, list and cancel), `shutdown()`; also a context manager.

Errors: `NotFoundError` (HTTP 404) and `InvalidRequestError` (HTTP 400), each with `message`, `param`, `code`.

A job goes validating_files (our validator, `agentlm.data.validate`: an invalid file fails the job with the
line-numbered errors) → queued → running (`python -m agentlm train sft|dpo …` as a subprocess, whose
`log.jsonl` becomes metrics events) → succeeded | failed | cancelled. Hyperparameters may be "auto": epochs by
OpenAI's rule (`auto_epochs`), batch size n/10 clamped to 1..16, learning-rate multiplier 1 (of 1e-3 for SFT,
5e-5 for DPO), beta 0.1. A job interrupted by a shutdown or a crash resumes from its last Trainer checkpoint
when the service starts again (SFT), or fails with the reason. Training uses `train_threads` CPU threads
(default: all cores but one, so the server stays responsive).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from agentlm.train.job_store import JobStore, new_id

ACTIVE = ("validating_files", "queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
METHODS = ("supervised", "dpo")
BASE_LR = {"supervised": 1e-3, "dpo": 5e-5}
_HYPERPARAMETERS = {"supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
                    "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")}
_RANGES = {"n_epochs": (int, 1, 50), "batch_size": (int, 1, 256), "learning_rate_multiplier": (float, 1e-6, 10.0),
           "beta": (float, 1e-6, 2.0)}
_SUFFIX = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CKPT = re.compile(r"^checkpoint-(\d+)$")


class ServiceError(Exception):
    """An error with OpenAI's fields: `message`, `param`, `code`."""

    status = 400
    kind = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


class InvalidRequestError(ServiceError, ValueError):
    """The request cannot be served as given (HTTP 400)."""


class NotFoundError(ServiceError, LookupError):
    """No such file, job or model (HTTP 404)."""

    status = 404


class JobService:
    """Files and fine-tuning jobs under `data_dir`; `models` maps base model ids to local model paths."""

    def __init__(self, data_dir: str | Path = "runs/service", models: dict[str, str | Path] | None = None, *,
                 train_threads: int | None = None, poll_seconds: float = 0.5) -> None:
        if models is None:
            from agentlm.runtime.models import DEFAULT_MODEL_DIR

            models = {"agentlm-small": DEFAULT_MODEL_DIR}
        self.data_dir = Path(data_dir)
        self.base_models = {name: Path(path) for name, path in models.items()}
        threads = train_threads or os.environ.get("AGENTLM_TRAIN_THREADS") or max(1, (os.cpu_count() or 2) - 1)
        self.train_threads = int(threads)
        self.poll_seconds = poll_seconds
        self.store = JobStore(self.data_dir / "service.sqlite")
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._lock_file: IO[str] | None = None

    # ------------------------------------------------------------------ files

    def create_file(self, file: str | Path | bytes | IO[bytes], filename: str | None = None,
                    purpose: str = "fine-tune") -> dict[str, Any]:
        """Store an upload (a path, bytes, or a binary file object) and return its file object."""
        if purpose != "fine-tune":
            raise InvalidRequestError(f"purpose must be 'fine-tune', got {purpose!r}", "purpose")
        if isinstance(file, str | Path):
            filename = filename or Path(file).name
        filename = filename or "upload.jsonl"
        if not filename.endswith(".jsonl"):
            raise InvalidRequestError(f"Invalid file format for fine-tuning: {filename!r} is not a .jsonl file",
                                      "file", "invalid_file_format")
        return self._add_file(file, filename, purpose)

    def _add_file(self, file: str | Path | bytes | IO[bytes], filename: str, purpose: str) -> dict[str, Any]:
        file_id = new_id("file-")
        dest = self.data_dir / "files" / file_id
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(file, bytes):
            dest.write_bytes(file)
        elif isinstance(file, str | Path):
            if not Path(file).is_file():
                raise NotFoundError(f"No file at {file}", "file")
            shutil.copyfile(file, dest)
        else:
            with dest.open("wb") as out:
                shutil.copyfileobj(file, out, 1 << 20)
        record = {"object": "file", "id": file_id, "bytes": dest.stat().st_size, "created_at": int(time.time()),
                  "filename": filename, "purpose": purpose, "status": "processed", "status_details": None,
                  "expires_at": None}
        self.store.add_file(record)
        return record

    def list_files(self, purpose: str | None = None, after: str | None = None, limit: int = 100,
                   order: str = "desc") -> dict[str, Any]:
        """Files newest first (`order="asc"`: oldest first), paginated by `after` (a file id)."""
        return self.store.list_files(purpose, after, _limit(limit, 10000), order)

    def retrieve_file(self, file_id: str) -> dict[str, Any]:
        record = self.store.get_file(file_id)
        if record is None:
            raise NotFoundError(f"No such File object: {file_id}", "file_id")
        return record

    def file_path(self, file_id: str) -> Path:
        self.retrieve_file(file_id)
        return self.data_dir / "files" / file_id

    def file_content(self, file_id: str) -> bytes:
        return self.file_path(file_id).read_bytes()

    def delete_file(self, file_id: str) -> dict[str, Any]:
        """Delete a file that no active job uses."""
        path = self.file_path(file_id)
        if users := self.store.jobs_using_file(file_id, ACTIVE):
            raise InvalidRequestError(f"File {file_id} is used by the active job(s) {', '.join(users)}", "file_id")
        self.store.delete_file(file_id)
        path.unlink(missing_ok=True)
        return {"id": file_id, "object": "file", "deleted": True}

    # ------------------------------------------------------------------ jobs

    def create_job(self, training_file: str, model: str, method: dict[str, Any] | None = None,
                   validation_file: str | None = None, suffix: str | None = None, seed: int | None = None,
                   hyperparameters: dict[str, Any] | None = None,
                   metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Create a job (status validating_files); validation runs in the background, then the job queues."""
        base_path = self.model_path(model)
        method = _parse_method(method, hyperparameters)
        for param, file_id in (("training_file", training_file), ("validation_file", validation_file)):
            if file_id is None:
                continue
            record = self.store.get_file(file_id)
            if record is None:
                raise InvalidRequestError(f"File {file_id!r} does not exist", param, "file_not_found")
            if record["purpose"] != "fine-tune":
                raise InvalidRequestError(f"File {file_id} has purpose {record['purpose']!r}, not 'fine-tune'", param)
        if suffix is not None and not _SUFFIX.match(suffix):
            raise InvalidRequestError("suffix must be 1 to 64 letters, digits, '-', '_' or '.'", "suffix")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidRequestError("seed must be an integer", "seed")
        job_id = new_id("ftjob-")
        kind = method["type"]
        job = {"object": "fine_tuning.job", "id": job_id, "model": model, "created_at": int(time.time()),
               "finished_at": None, "fine_tuned_model": None, "organization_id": "org-local", "result_files": [],
               "status": "validating_files", "validation_file": validation_file, "training_file": training_file,
               "hyperparameters": {k: v for k, v in method[kind]["hyperparameters"].items() if k != "beta"},
               "method": method, "trained_tokens": None, "error": None,
               "seed": seed if seed is not None else random.randrange(2**31), "estimated_finish": None,
               "integrations": [], "metadata": metadata, "user_provided_suffix": suffix}
        state = {"dir": str(self.data_dir / "jobs" / job_id), "base_path": str(base_path), "pid": None,
                 "log_offset": 0, "metrics": {}, "last_step": 0}
        Path(state["dir"]).mkdir(parents=True, exist_ok=True)
        self.store.add_job(job, state)
        self.store.add_event(job_id, f"Created fine-tuning job: {job_id}")
        threading.Thread(target=self._validate, args=(job_id,), name=f"validate-{job_id}", daemon=True).start()
        return job

    def list_jobs(self, after: str | None = None, limit: int = 20) -> dict[str, Any]:
        """Jobs newest first, paginated by `after` (a job id) with `has_more`."""
        return self.store.list_jobs(after, _limit(limit, 100))

    def retrieve_job(self, job_id: str) -> dict[str, Any]:
        return self._get(job_id)[0]

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """Cancel a job that has not finished; a running training process is terminated."""
        job = self.retrieve_job(job_id)
        updated = self.store.update_job(job_id, {"status": "cancelled", "finished_at": int(time.time()),
                                                 "estimated_finish": None}, only_if=ACTIVE)
        if updated is None:
            raise InvalidRequestError(f"Job {job_id} has already {job['status']}: only validating, queued or "
                                      "running jobs can be cancelled", "fine_tuning_job_id", "invalid_job_state")
        self.store.add_event(job_id, "Fine-tuning job cancelled")
        self._wake.set()
        return updated

    def list_events(self, job_id: str, after: str | None = None, limit: int = 20) -> dict[str, Any]:
        """The job's events newest first (as OpenAI lists them); `after` is the last event id already seen."""
        self._get(job_id)
        return self.store.list_events(job_id, after, _limit(limit, 1000))

    def list_checkpoints(self, job_id: str, after: str | None = None, limit: int = 10) -> dict[str, Any]:
        """The checkpoints of a succeeded job, highest step first, with train/valid loss and token accuracy."""
        self._get(job_id)
        return self.store.list_checkpoints(job_id, after, _limit(limit, 100))

    def wait(self, job_id: str, timeout: float | None = None, poll: float = 0.5) -> dict[str, Any]:
        """Block until the job has finished; return it (TimeoutError after `timeout` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (job := self.retrieve_job(job_id))["status"] not in FINISHED:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job['status']} after {timeout} s")
            time.sleep(poll)
        return job

    # ------------------------------------------------------------------ models

    def model_path(self, model_id: str) -> Path:
        """The local model behind a base id, a fine-tuned model id or one of its checkpoints."""
        if model_id in self.base_models:
            return self.base_models[model_id]
        parts = model_id.split(":")
        if parts[0] == "ft" and len(parts) == 5 and parts[4].startswith("ckpt-step-"):
            path = self.store.checkpoint_path(model_id)
            if path is not None and path.is_dir():
                return path
        elif parts[0] == "ft" and len(parts) == 4 and (found := self.store.get_job(parts[3])) is not None:
            job, state = found
            if job["status"] == "succeeded" and job["fine_tuned_model"] == model_id:
                return Path(state["dir"]) / "model"
        raise NotFoundError(f"The model `{model_id}` does not exist or you do not have access to it.", "model",
                            "model_not_found")

    def fine_tuned_models(self) -> list[dict[str, Any]]:
        """Model objects of the fine-tuned models, newest first."""
        jobs = [self.retrieve_job(i) for i in reversed(self.store.job_ids("succeeded"))]
        return [{"id": j["fine_tuned_model"], "object": "model", "created": j["finished_at"], "owned_by": "user"}
                for j in jobs]

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> bool:
        """Run the job queue in a background thread, after recovering jobs a previous run left behind.

        Returns False (and runs nothing) when another process already runs the queue on this data dir.
        """
        if self._worker is not None:
            return True
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = (self.data_dir / "worker.lock").open("w")
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no fcntl (Windows): trust that one process uses the data dir
            pass
        except OSError:
            lock.close()
            return False
        self._lock_file = lock
        self._stopping.clear()
        self._recover()
        self._worker = threading.Thread(target=self._work, name="agentlm-jobs", daemon=True)
        self._worker.start()
        return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the queue; a running job is stopped and resumes (or fails) at the next start."""
        self._stopping.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> JobService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ------------------------------------------------------------------ validation

    def _validate(self, job_id: str) -> None:
        try:
            self._check_files(job_id)
        except Exception as err:  # never leave a job stuck in validating_files
            self._fail(job_id, "validation_error", f"The files could not be validated: {err}", only_if=ACTIVE)

    def _check_files(self, job_id: str) -> None:
        from agentlm.data.validate import auto_epochs, validate_file

        job, state = self._get(job_id)
        if job["status"] != "validating_files":
            return
        kind = job["method"]["type"]
        tokenizer = _tokenizer(state["base_path"])
        reports = {}
        for param in ("training_file", "validation_file"):
            if job[param] is None:
                continue
            self.store.add_event(job_id, f"Validating {param.replace('_', ' ')}: {job[param]}")
            path = self.data_dir / "files" / job[param]
            report = validate_file(path, tokenizer=tokenizer, fmt="chat" if kind == "supervised" else None)
            if kind == "dpo" and report.format not in ("preference", "openai_dpo"):
                report = validate_file(path, tokenizer=tokenizer, fmt="openai_dpo")
            if not report.ok:
                name = self.store.get_file(job[param]) or {}
                lines = [f"line {line}: {msg}" if line else msg for line, _, msg in report.errors[:10]]
                more = f"\n… and {len(report.errors) - 10} more" if len(report.errors) > 10 else ""
                self._fail(job_id, f"invalid_{param}",
                           f"{param.replace('_', ' ').capitalize()} {job[param]} ({name.get('filename')}) has "
                           f"{len(report.errors)} error(s):\n" + "\n".join(lines) + more, param, only_if=ACTIVE)
                return
            for _, _, message in report.warnings[:5]:
                self.store.add_event(job_id, message, level="warn")
            reports[param] = report
        stats = reports["training_file"].stats
        n_train = stats["n_examples"]
        if n_train < 10:
            self.store.add_event(job_id, f"The training file has {n_train} examples; OpenAI asks for at least 10",
                                 level="warn")
        if kind == "dpo" and job["validation_file"]:
            self.store.add_event(job_id, "DPO reports no validation loss: the validation file is not used",
                                 level="warn")
        hp = dict(job["method"][kind]["hyperparameters"])
        hp["n_epochs"] = auto_epochs(n_train) if hp.get("n_epochs", "auto") == "auto" else hp["n_epochs"]
        hp["batch_size"] = max(1, min(16, n_train // 10)) if hp.get("batch_size", "auto") == "auto" \
            else hp["batch_size"]
        if hp.get("learning_rate_multiplier", "auto") == "auto":
            hp["learning_rate_multiplier"] = 1.0
        if kind == "dpo" and hp.get("beta", "auto") == "auto":
            hp["beta"] = 0.1
        total = math.ceil(n_train / hp["batch_size"]) * hp["n_epochs"]
        n_valid = reports["validation_file"].stats["n_examples"] if "validation_file" in reports else None
        method = {"type": kind, kind: {"hyperparameters": hp}}
        queued = self.store.update_job(
            job_id, {"status": "queued", "method": method,
                     "hyperparameters": {k: v for k, v in hp.items() if k != "beta"}},
            {"n_train": n_train, "n_valid": n_valid, "total_steps": total}, only_if=("validating_files",))
        if queued is None:
            return
        tokens = stats.get("tokens_total", {})
        self.store.add_event(job_id, f"Training file: {n_train} examples"
                             + (f", up to {tokens['max']:.0f} tokens each" if tokens.get("max") else "")
                             + f"; {hp['n_epochs']} epoch(s) of {math.ceil(n_train / hp['batch_size'])} steps")
        self.store.add_event(job_id, "Files validated, moving job to queued state")
        self._wake.set()

    # ------------------------------------------------------------------ the queue

    def _work(self) -> None:
        while not self._stopping.is_set():
            queued = self.store.job_ids("queued")
            if not queued:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                self._run(queued[0])
            except Exception as err:  # keep the queue alive whatever one job does
                self._fail(queued[0], "internal_error", f"The job could not run: {err!r}", only_if=ACTIVE)

    def _run(self, job_id: str) -> None:
        job, state = self._get(job_id)
        job_dir = Path(state["dir"])
        resume = state.get("resume_step")
        running = self.store.update_job(job_id, {"status": "running"}, {"started": time.time()}, only_if=("queued",))
        if running is None:
            return
        self.store.add_event(job_id, f"Fine-tuning job resumed from the checkpoint at step {resume}" if resume
                             else "Fine-tuning job started")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false",
               "OMP_NUM_THREADS": str(self.train_threads), "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
        with (job_dir / "train.log").open("ab") as log:
            proc = subprocess.Popen(self._command(job, state), stdout=log, stderr=subprocess.STDOUT, cwd=job_dir,
                                    env=env, start_new_session=True)
        self.store.update_job(job_id, state={"pid": proc.pid})
        outcome = self._watch(job_id, proc, job_dir / "model")
        if outcome == "interrupted":
            self._interrupted(job_id, "the service shut down while it was running")
        elif outcome == "exited":
            if proc.returncode == 0 and (job_dir / "model" / "config.json").is_file():
                self._succeed(job_id)
            else:
                self._fail(job_id, "training_failed",
                           f"Training exited with code {proc.returncode}: {_last_error(job_dir / 'train.log')} "
                           f"(full log: {job_dir / 'train.log'})", only_if=("running",))

    def _command(self, job: dict[str, Any], state: dict[str, Any]) -> list[str]:
        kind = job["method"]["type"]
        hp = job["method"][kind]["hyperparameters"]
        cmd = [sys.executable, "-m", "agentlm", "train", "sft" if kind == "supervised" else "dpo",
               "--model", state["base_path"], "--data", str(self.data_dir / "files" / job["training_file"]),
               "--out", str(Path(state["dir"]) / "model"), "--epochs", str(hp["n_epochs"]),
               "--batch-size", str(hp["batch_size"]), "--lr", repr(BASE_LR[kind] * hp["learning_rate_multiplier"]),
               "--seed", str(job["seed"])]
        if kind == "dpo":
            cmd += ["--beta", str(hp["beta"])]
        elif job["validation_file"]:
            cmd += ["--eval-data", str(self.data_dir / "files" / job["validation_file"])]
        return cmd

    def _watch(self, job_id: str, proc: subprocess.Popen, out: Path) -> str:
        """Follow the training process: metrics from its log, cancel and shutdown. Returns what ended it."""
        while True:
            code = proc.poll()
            self._read_log(job_id, out / "log.jsonl")
            if code is not None:
                return "exited"
            if self.retrieve_job(job_id)["status"] == "cancelled":
                _terminate(proc.pid, proc)
                return "cancelled"
            if self._stopping.is_set():
                _terminate(proc.pid, proc)
                return "interrupted"
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _read_log(self, job_id: str, path: Path) -> None:
        """Turn new rows of the trainer's log.jsonl into metrics events and the job's progress."""
        if not path.is_file():
            return
        job, state = self._get(job_id)
        offset = state["log_offset"] if path.stat().st_size >= state["log_offset"] else 0  # restarted: new log
        with path.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            return
        metrics, last, total = state["metrics"], state["last_step"], state.get("total_steps")
        changes: dict[str, Any] = {}
        for line in chunk[:end].splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            step = int(row.get("step") or 0)
            seen = metrics.setdefault(str(step), {"step": step})
            if row.get("kind") == "eval":
                if seen.get("valid_loss") is not None:
                    continue  # the final evaluation repeats the last epoch's
                seen.update(valid_loss=row.get("eval_loss"),
                            valid_mean_token_accuracy=row.get("eval_mean_token_accuracy"))
                message = f"Step {step}/{total}: validation loss={_number(row.get('eval_loss'))}"
            else:
                if "train_runtime" in row:  # the end-of-training summary
                    state["trained_tokens"] = row.get("num_input_tokens_seen") or row.get("tokens")
                if step <= last or row.get("loss") is None:
                    continue
                last = step
                seen.update(train_loss=row["loss"], train_mean_token_accuracy=row.get("mean_token_accuracy"))
                message = f"Step {step}/{total}: training loss={_number(row['loss'])}"
                for key, name in (("rewards/accuracies", "reward_accuracy"), ("rewards/margins", "reward_margin")):
                    if key in row:
                        seen[name] = row[key]
                if total and step:
                    elapsed = time.time() - state.get("started", time.time())
                    changes["estimated_finish"] = int(time.time() + elapsed * max(total - step, 0) / step)
            data = {**{k: v for k, v in seen.items() if v is not None}, "total_steps": total}
            self.store.add_event(job_id, message, kind="metrics", data=data)
        self.store.update_job(job_id, changes, {"log_offset": offset + end, "metrics": metrics, "last_step": last,
                                                "trained_tokens": state.get("trained_tokens")}, only_if=("running",))

    def _succeed(self, job_id: str) -> None:
        job, state = self._get(job_id)
        out = Path(state["dir"]) / "model"
        suffix = job["user_provided_suffix"] or ""
        base = job["model"].split(":")[1] if job["model"].startswith("ft:") else job["model"]
        model_id = f"ft:{base}:{suffix}:{job_id}"
        steps = sorted(int(m["step"]) for m in state["metrics"].values())
        saved = {int(m.group(1)): p for p in (out / "checkpoints").glob("checkpoint-*")
                 if (m := _CKPT.match(p.name)) and p.is_dir()}
        final = max([*steps, *saved, 0])
        saved[final] = out  # the final model is the last checkpoint
        for step in sorted(saved):
            checkpoint = {"object": "fine_tuning.job.checkpoint", "id": new_id("ftckpt_"),
                          "created_at": int(saved[step].stat().st_mtime),
                          "fine_tuned_model_checkpoint": f"{model_id}:ckpt-step-{step}", "fine_tuning_job_id": job_id,
                          "metrics": _metrics_at(state["metrics"], step, state.get("n_valid")), "step_number": step}
            self.store.add_checkpoint(checkpoint, saved[step])
            self.store.add_event(job_id, f"Checkpoint created at step {step}")
        results = self._add_file(_results_csv(state["metrics"]).encode(), "step_metrics.csv", "fine-tune-results")
        done = self.store.update_job(job_id, {"status": "succeeded", "fine_tuned_model": model_id,
                                              "finished_at": int(time.time()), "estimated_finish": None,
                                              "trained_tokens": state.get("trained_tokens"),
                                              "result_files": [results["id"]]}, only_if=("running",))
        if done is not None:
            self.store.add_event(job_id, f"New fine-tuned model created: {model_id}")
            self.store.add_event(job_id, "The job has successfully completed")

    def _fail(self, job_id: str, code: str, message: str, param: str | None = None, *,
              only_if: tuple[str, ...] = ACTIVE) -> None:
        failed = self.store.update_job(job_id, {"status": "failed", "finished_at": int(time.time()),
                                                "estimated_finish": None,
                                                "error": {"code": code, "message": message, "param": param}},
                                       only_if=only_if)
        if failed is not None:
            self.store.add_event(job_id, message, level="error")

    def _interrupted(self, job_id: str, why: str) -> None:
        """A running job lost its process: queue it to resume from its last checkpoint, or fail it."""
        job, state = self._get(job_id)
        saved = [int(m.group(1)) for p in (Path(state["dir"]) / "model" / "checkpoints").glob("checkpoint-*")
                 if (m := _CKPT.match(p.name))]
        if saved and job["method"]["type"] == "supervised":
            step = max(saved)
            if self.store.update_job(job_id, {"status": "queued"}, {"resume_step": step}, only_if=("running",)):
                self.store.add_event(job_id, f"The job was interrupted ({why}); it will resume from the checkpoint "
                                             f"at step {step}", level="warn")
            return
        reason = "no checkpoint was saved yet" if not saved else "DPO jobs cannot resume from a checkpoint"
        self._fail(job_id, "job_interrupted", f"The job was interrupted ({why}) and cannot resume: {reason}. "
                                              "Create it again.", only_if=("running",))

    def _recover(self) -> None:
        """Jobs a previous process left running or validating: stop orphans, resume or fail, re-validate."""
        for job_id in self.store.job_ids("running"):
            pid = self._get(job_id)[1].get("pid")
            if pid:
                _kill_orphan(pid, job_id)
            self._interrupted(job_id, "the service stopped while it was running")
        for job_id in self.store.job_ids("validating_files"):
            threading.Thread(target=self._validate, args=(job_id,), daemon=True).start()

    def _get(self, job_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        found = self.store.get_job(job_id)
        if found is None:
            raise NotFoundError(f"No fine-tuning job found with id {job_id}", "fine_tuning_job_id")
        return found


# ---------------------------------------------------------------------------- helpers


def _limit(limit: int, most: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidRequestError(f"limit must be a positive integer, got {limit!r}", "limit")
    return min(limit, most)


def _parse_method(method: dict[str, Any] | None, hyperparameters: dict[str, Any] | None) -> dict[str, Any]:
    """`{"type": T, T: {"hyperparameters": {...}}}` with every value checked ("auto" or a number in range)."""
    if method is None:
        method = {"type": "supervised", "supervised": {"hyperparameters": hyperparameters or {}}}
    elif hyperparameters:
        raise InvalidRequestError("give hyperparameters inside `method` (the top-level field is the legacy form "
                                  "for supervised jobs); not both", "hyperparameters")
    if not isinstance(method, dict) or method.get("type") not in METHODS:
        raise InvalidRequestError("method.type must be 'supervised' or 'dpo'", "method.type")
    kind = method["type"]
    hp = (method.get(kind) or {}).get("hyperparameters") or {}
    if not isinstance(hp, dict):
        raise InvalidRequestError("hyperparameters must be an object", f"method.{kind}.hyperparameters")
    checked: dict[str, Any] = {}
    for name, value in hp.items():
        param = f"method.{kind}.hyperparameters.{name}"
        if name not in _HYPERPARAMETERS[kind]:
            raise InvalidRequestError(f"unknown hyperparameter {name!r} for {kind}; expected one of "
                                      f"{', '.join(_HYPERPARAMETERS[kind])}", param)
        if value is None or value == "auto":
            checked[name] = "auto"
            continue
        kind_of, low, high = _RANGES[name]
        ok = (not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
              and (kind_of is float or value == int(value)))
        if not ok or not low <= value <= high:
            raise InvalidRequestError(f"{name} must be 'auto' or {'an integer' if kind_of is int else 'a number'} "
                                      f"from {low:g} to {high:g}, got {value!r}", param)
        checked[name] = kind_of(value)
    return {"type": kind, kind: {"hyperparameters": {n: checked.get(n, "auto") for n in _HYPERPARAMETERS[kind]}}}


def _tokenizer(base_path: str) -> Any:
    """The base model's tokenizer for token statistics, or None when it cannot be loaded (e.g. GGUF)."""
    try:
        from agentlm.model.tokenizer import load_tokenizer

        return load_tokenizer(base_path) if Path(base_path).is_dir() else None
    except Exception:
        return None


def _metrics_at(metrics: dict[str, dict[str, Any]], step: int, n_valid: int | None) -> dict[str, Any]:
    """OpenAI's checkpoint metrics: the latest training and validation figures at or before `step`."""
    rows = sorted((m for m in metrics.values() if m["step"] <= step), key=lambda m: m["step"])
    out: dict[str, Any] = {"step": float(step)}
    for key in ("train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy"):
        values = [m[key] for m in rows if m.get(key) is not None]
        out[key] = values[-1] if values else None
    full = n_valid is not None and n_valid <= 200  # SFT evaluates on the first 200 validation examples
    out["full_valid_loss"] = out["valid_loss"] if full else None
    out["full_valid_mean_token_accuracy"] = out["valid_mean_token_accuracy"] if full else None
    return out


def _results_csv(metrics: dict[str, dict[str, Any]]) -> str:
    """The results file OpenAI attaches to a job: one row per logged step."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"])
    for m in sorted(metrics.values(), key=lambda m: m["step"]):
        writer.writerow([m["step"], *("" if m.get(k) is None else m[k] for k in (
            "train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy"))])
    return buffer.getvalue()


def _last_error(log: Path) -> str:
    """The line of a training log that says what went wrong (the exception, or the CLI's error)."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    for line in reversed(lines):
        if line.startswith("agentlm: error:") or re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line):
            return line
    return lines[-1] if lines else "no output"


def _terminate(pid: int, proc: subprocess.Popen | None = None) -> None:
    """Stop a training process group: SIGTERM, then SIGKILL after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if (proc.poll() is not None) if proc is not None else not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    if Path("/proc/self").exists():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "n/a"


def _kill_orphan(pid: int, job_id: str) -> None:
    """Stop the training process a dead service left behind, if that pid still is that job's trainer."""
    try:
        if job_id.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
    except OSError:
        return
    _terminate(pid)
