"""Fine-tuning through the server with the official `openai` client: upload, a real SFT job on the shipped
model (events, checkpoints with metrics, the fine-tuned model answering at once), validation failures with line
numbers, cancel, `agentlm jobs`, and restarts (graceful, and a crash while a job was training)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import openai
import pytest

from agentlm.data.validate import auto_epochs
from agentlm.serve.app import ServerConfig, background, create_app
from agentlm.train.jobs import JobService

SFT = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 4}}}
LONG = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 30, "batch_size": 1}}}


class Server:
    """A real server on 127.0.0.1 that a test can restart on the same data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.config = ServerConfig(data_dir=data_dir, train_threads=1)
        self._stack = ExitStack()
        self.client: openai.OpenAI

    def start(self) -> Server:
        base = self._stack.enter_context(background(create_app(self.config)))
        self.client = openai.OpenAI(base_url=f"{base}/v1", api_key="-", max_retries=0, timeout=120)
        return self

    def stop(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Chat JSONL from the skill-data generators: 40 training and 8 validation examples, and a broken file."""
    from agentlm.data.synth.build import generate

    out = tmp_path_factory.mktemp("data")
    files = {"train": ("train", 40, 0), "valid": ("test", 8, 1)}
    for name, (split, n, seed) in files.items():
        rows = [json.dumps(e.to_json(), ensure_ascii=False) for e in generate(split, n, seed=seed)]
        (out / f"{name}.jsonl").write_text("\n".join(rows) + "\n")
    good = (out / "train.jsonl").read_text().splitlines()[0]
    (out / "broken.jsonl").write_text("\n".join([
        good, "{not json", json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
        json.dumps({"messages": [{"role": "wizard", "content": "hi"}, {"role": "assistant", "content": "x"}]}),
    ]) + "\n")
    return {"train": out / "train.jsonl", "valid": out / "valid.jsonl", "broken": out / "broken.jsonl"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("service")).start()
    yield running
    running.stop()


def _wait(client: openai.OpenAI, job_id: str, until: tuple[str, ...], timeout: float = 240) -> object:
    deadline = time.monotonic() + timeout
    while (job := client.fine_tuning.jobs.retrieve(job_id)).status not in until:
        assert job.status not in {"succeeded", "failed", "cancelled"} - set(until), job
        assert time.monotonic() < deadline, f"job still {job.status}"
        time.sleep(0.5)
    return job


def _running_pid(service: JobService, job_id: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while not (pid := service.store.get_job(job_id)[1].get("pid")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return pid


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_fine_tuning_job_from_upload_to_use(server: Server, data: dict[str, Path]) -> None:
    client = server.client
    with data["train"].open("rb") as f:
        train = client.files.create(file=f, purpose="fine-tune")
    valid = client.files.create(file=data["valid"], purpose="fine-tune")
    assert train.filename == "train.jsonl" and train.bytes == data["train"].stat().st_size
    assert client.files.content(train.id).content == data["train"].read_bytes()
    job = client.fine_tuning.jobs.create(training_file=train.id, validation_file=valid.id, model="agentlm-small",
                                         method=SFT, suffix="e2e", seed=3)
    assert job.status == "validating_files" and job.seed == 3 and job.fine_tuned_model is None
    job = _wait(client, job.id, ("succeeded",))
    assert job.fine_tuned_model == f"ft:agentlm-small:e2e:{job.id}" and job.trained_tokens > 1000
    assert job.finished_at >= job.created_at and job.error is None
    assert job.method.supervised.hyperparameters.n_epochs == 1 and job.hyperparameters.batch_size == 4

    events = client.fine_tuning.jobs.list_events(job.id, limit=100).data
    assert [e.created_at for e in events] == sorted((e.created_at for e in events), reverse=True)  # newest first
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message.startswith("Created fine-tuning job")
    messages = [e.message for e in reversed(events)]
    assert messages.index("Files validated, moving job to queued state") < messages.index("Fine-tuning job started")
    metrics = [e.data for e in events if e.type == "metrics"]
    assert any(m.get("train_loss") for m in metrics) and any(m.get("valid_loss") for m in metrics)
    first = client.fine_tuning.jobs.list_events(job.id, limit=2)
    second = client.fine_tuning.jobs.list_events(job.id, limit=2, after=first.data[-1].id)
    assert first.has_more and [e.id for e in first.data + second.data] == [e.id for e in events[:4]]

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert checkpoints and checkpoints[0].step_number == 10  # 40 examples / batch 4, one epoch
    final = checkpoints[0]
    assert final.fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-10"
    assert final.metrics.train_loss > 0 and final.metrics.valid_loss > 0
    assert 0 < final.metrics.train_mean_token_accuracy <= 1
    results = client.files.content(job.result_files[0]).text.splitlines()
    assert results[0].startswith("step,train_loss") and results[-1].startswith("10,")

    assert job.fine_tuned_model in [m.id for m in client.models.list()]
    for model in (job.fine_tuned_model, final.fine_tuned_model_checkpoint):
        reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Who are you?"}],
                                               temperature=0, max_tokens=16)
        assert reply.model == model and reply.choices[0].message.content and reply.usage.completion_tokens > 0


def test_invalid_file_fails_validation_with_line_numbers(server: Server, data: dict[str, Path]) -> None:
    client = server.client
    broken = client.files.create(file=data["broken"], purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=broken.id, model="agentlm-small")
    job = _wait(client, job.id, ("failed",), timeout=60)
    assert job.error.code == "invalid_training_file" and job.error.param == "training_file"
    assert "3 error(s)" in job.error.message
    for expected in ("line 2: not valid JSON", "line 3: `messages` has no assistant message", "line 4: messages[0] "
                     "has role 'wizard'"):
        assert expected in job.error.message
    assert job.fine_tuned_model is None and job.finished_at is not None
    # DPO wants preference pairs: chat rows fail line by line too
    train = client.files.list(purpose="fine-tune").data
    chat = next(f for f in train if f.filename == "train.jsonl")
    dpo = client.fine_tuning.jobs.create(training_file=chat.id, model="agentlm-small", method={
        "type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "n_epochs": 1}}})
    dpo = _wait(client, dpo.id, ("failed",), timeout=60)
    assert dpo.error.code == "invalid_training_file" and "line 1: the row looks like 'chat'" in dpo.error.message
    assert dpo.method.type == "dpo" and dpo.method.dpo.hyperparameters.beta == 0.2


def test_bad_job_requests_are_refused(server: Server, data: dict[str, Path]) -> None:
    client = server.client
    file_id = client.files.list(purpose="fine-tune").data[-1].id
    cases = [
        (dict(training_file=file_id, model="agentlm-small", hyperparameters={"n_epochs": 0}),
         "method.supervised.hyperparameters.n_epochs"),
        (dict(training_file=file_id, model="agentlm-small", method={"type": "reinforcement"}), "method.type"),
        (dict(training_file="file-missing", model="agentlm-small"), "training_file"),
        (dict(training_file=file_id, model="agentlm-small", suffix="a:b"), "suffix"),
    ]
    for kwargs, param in cases:
        with pytest.raises(openai.BadRequestError) as caught:
            client.fine_tuning.jobs.create(**kwargs)
        assert caught.value.param == param, kwargs
    with pytest.raises(openai.NotFoundError) as caught:
        client.fine_tuning.jobs.create(training_file=file_id, model="gpt-4o-mini")
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("notes.txt", b"hello"), purpose="fine-tune")
    assert caught.value.code == "invalid_file_format"


def test_cancel_stops_a_running_job(server: Server, data: dict[str, Path]) -> None:
    client = server.client
    train = client.files.create(file=data["train"], purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=train.id, model="agentlm-small", method=LONG)
    _wait(client, job.id, ("running",), timeout=120)
    pid = _running_pid(JobService(server.config.data_dir, models={}), job.id)
    assert _alive(pid)
    with pytest.raises(openai.BadRequestError):  # an active job's file stays
        client.files.delete(train.id)
    # a second job waits in the queue; "auto" (legacy top-level form) resolves by OpenAI's rules when validated
    waiting = client.fine_tuning.jobs.create(training_file=train.id, model="agentlm-small",
                                             hyperparameters={"n_epochs": "auto"})
    waiting = _wait(client, waiting.id, ("queued",), timeout=60)
    hp = waiting.method.supervised.hyperparameters
    assert (hp.n_epochs, hp.batch_size, hp.learning_rate_multiplier) == (auto_epochs(40), 4, 1.0)
    time.sleep(1.5)
    assert client.fine_tuning.jobs.retrieve(waiting.id).status == "queued"  # one job at a time
    assert client.fine_tuning.jobs.cancel(waiting.id).status == "cancelled"
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at
    deadline = time.monotonic() + 20
    while _alive(pid):
        assert time.monotonic() < deadline, "the training process was not stopped"
        time.sleep(0.1)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert client.fine_tuning.jobs.list_events(job.id, limit=1).data[0].message == "Fine-tuning job cancelled"
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.cancel(job.id)
    assert "already cancelled" in caught.value.message
    assert client.files.delete(train.id).deleted and train.id not in [f.id for f in client.files.list()]


def test_jobs_are_listed_newest_first_with_pagination(server: Server) -> None:
    client = server.client
    everything = [j.id for j in client.fine_tuning.jobs.list(limit=100)]
    assert len(everything) == 5  # succeeded, failed (chat), failed (dpo), cancelled (running), cancelled (queued)
    page = client.fine_tuning.jobs.list(limit=3)
    assert page.has_more and [j.id for j in page.data] == everything[:3]
    assert [j.id for j in client.fine_tuning.jobs.list(limit=3)] == everything  # the client follows `after`
    assert page.data[0].status == "cancelled"  # the newest
    assert client.fine_tuning.jobs.retrieve(everything[-1]).status == "succeeded"  # the oldest
    rest = client.fine_tuning.jobs.list(limit=3, after=page.data[-1].id)
    assert not rest.has_more and [j.id for j in rest.data] == everything[3:]


def test_jobs_cli_talks_to_the_server(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    from agentlm.cli import main

    base = str(server.client.base_url)
    done = next(j for j in server.client.fine_tuning.jobs.list() if j.status == "succeeded")
    assert main(["jobs", "list", "--base-url", base]) == 0
    listing = capsys.readouterr().out
    assert done.id in listing and done.fine_tuned_model in listing and "cancelled" in listing
    assert main(["jobs", "events", done.id, "--base-url", base]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Created fine-tuning job" in lines[0] and "successfully completed" in lines[-1]
    assert main(["jobs", "checkpoints", done.id, "--base-url", base]) == 0
    assert f"step 10: {done.fine_tuned_model}:ckpt-step-10 (train_loss" in capsys.readouterr().out
    assert main(["jobs", "get", done.id, "--base-url", base]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == done.id
    with pytest.raises(SystemExit, match="error 400: Job .* has already succeeded"):
        main(["jobs", "cancel", done.id, "--base-url", base])


def test_restart_keeps_files_jobs_and_models(server: Server) -> None:
    before_files = [f.id for f in server.client.files.list()]
    before_jobs = [(j.id, j.status) for j in server.client.fine_tuning.jobs.list(limit=100)]
    done = next(j for j in server.client.fine_tuning.jobs.list() if j.status == "succeeded")
    server.stop()
    server.start()
    client = server.client
    assert [f.id for f in client.files.list()] == before_files
    assert [(j.id, j.status) for j in client.fine_tuning.jobs.list(limit=100)] == before_jobs
    assert client.fine_tuning.jobs.checkpoints.list(done.id).data[0].metrics.train_loss > 0
    reply = client.chat.completions.create(model=done.fine_tuned_model, max_tokens=8, temperature=0,
                                           messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content


CRASHING_SERVICE = """
import sys, time
from agentlm.train.jobs import JobService
service = JobService(sys.argv[1], train_threads=1)
service.start()
upload = service.create_file(sys.argv[2])
job = service.create_job(upload["id"], "agentlm-small", method={"type": "supervised", "supervised": {
    "hyperparameters": {"n_epochs": 30, "batch_size": 1}}})
while not service.store.get_job(job["id"])[1].get("pid"):
    time.sleep(0.1)
print(job["id"], flush=True)
time.sleep(600)
"""


def test_a_job_running_when_the_service_dies_is_failed_with_the_reason(tmp_path: Path, data: dict[str, Path],
                                                                        one_torch_thread: None) -> None:
    service_dir = tmp_path / "service"
    crashing = subprocess.Popen([sys.executable, "-c", CRASHING_SERVICE, str(service_dir), str(data["train"])],
                                stdout=subprocess.PIPE, text=True)
    trainer = None
    try:
        job_id = crashing.stdout.readline().strip()
        assert job_id.startswith("ftjob-"), job_id
        trainer = JobService(service_dir, models={}).store.get_job(job_id)[1]["pid"]
        crashing.send_signal(signal.SIGKILL)  # the service dies; its training process lives on
        crashing.wait(10)
        assert _alive(trainer)
        server = Server(service_dir).start()  # recovery: stop the orphan, fail the job (no checkpoint yet)
        try:
            job = server.client.fine_tuning.jobs.retrieve(job_id)
            assert job.status == "failed" and job.error.code == "job_interrupted"
            assert "service stopped while it was running" in job.error.message
            assert "no checkpoint was saved yet" in job.error.message
            assert not _alive(trainer)
            assert [f.filename for f in server.client.files.list()] == ["train.jsonl"]
        finally:
            server.stop()
    finally:
        if crashing.poll() is None:
            crashing.kill()
        if trainer and _alive(trainer):
            os.killpg(trainer, signal.SIGKILL)
