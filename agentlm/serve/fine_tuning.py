"""OpenAI's Files and Fine-tuning routes over `agentlm.train.jobs.JobService`:

    POST   /v1/files                                  multipart: file, purpose=fine-tune
    GET    /v1/files                                  ?purpose&after&limit&order
    GET    /v1/files/{file_id}   DELETE /v1/files/{file_id}   GET /v1/files/{file_id}/content
    POST   /v1/fine_tuning/jobs                       training_file, model, method | hyperparameters, validation_file,
                                                      suffix, seed, metadata
    GET    /v1/fine_tuning/jobs                       ?after&limit (newest first, has_more)
    GET    /v1/fine_tuning/jobs/{job_id}   POST /v1/fine_tuning/jobs/{job_id}/cancel
    GET    /v1/fine_tuning/jobs/{job_id}/events       ?after&limit (newest first)
    GET    /v1/fine_tuning/jobs/{job_id}/checkpoints  ?after&limit
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from agentlm.serve.errors import APIError

upload_router = APIRouter()  # its own body limit: files may be large
router = APIRouter()


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    training_file: str
    model: str
    method: dict[str, Any] | None = None
    hyperparameters: dict[str, Any] | None = None
    validation_file: str | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None
    integrations: list[dict[str, Any]] | None = None


@upload_router.post("/v1/files")
def upload_file(request: Request, file: Annotated[UploadFile, File()],
                purpose: Annotated[str, Form()]) -> dict[str, Any]:
    return request.app.state.jobs.create_file(file.file, file.filename, purpose)


@router.get("/v1/files")
def list_files(request: Request, purpose: str | None = None, after: str | None = None, limit: int = 10000,
               order: str = "desc") -> dict[str, Any]:
    if order not in ("asc", "desc"):
        raise APIError(400, "order must be 'asc' or 'desc'", "order", "invalid_value")
    return request.app.state.jobs.list_files(purpose, after, limit, order)


@router.get("/v1/files/{file_id}")
def retrieve_file(file_id: str, request: Request) -> dict[str, Any]:
    return request.app.state.jobs.retrieve_file(file_id)


@router.delete("/v1/files/{file_id}")
def delete_file(file_id: str, request: Request) -> dict[str, Any]:
    return request.app.state.jobs.delete_file(file_id)


@router.get("/v1/files/{file_id}/content")
def file_content(file_id: str, request: Request) -> FileResponse:
    jobs = request.app.state.jobs
    record = jobs.retrieve_file(file_id)
    return FileResponse(jobs.file_path(file_id), media_type="application/octet-stream", filename=record["filename"])


@router.post("/v1/fine_tuning/jobs")
def create_job(body: JobRequest, request: Request) -> dict[str, Any]:
    if body.integrations:
        raise APIError(400, "integrations are not supported by this server", "integrations", "unsupported_parameter")
    return request.app.state.jobs.create_job(
        body.training_file, body.model, method=body.method, validation_file=body.validation_file, suffix=body.suffix,
        seed=body.seed, hyperparameters=body.hyperparameters, metadata=body.metadata)


@router.get("/v1/fine_tuning/jobs")
def list_jobs(request: Request, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    return request.app.state.jobs.list_jobs(after, limit)


@router.get("/v1/fine_tuning/jobs/{job_id}")
def retrieve_job(job_id: str, request: Request) -> dict[str, Any]:
    return request.app.state.jobs.retrieve_job(job_id)


@router.post("/v1/fine_tuning/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request) -> dict[str, Any]:
    return request.app.state.jobs.cancel_job(job_id)


@router.get("/v1/fine_tuning/jobs/{job_id}/events")
def list_events(job_id: str, request: Request, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    return request.app.state.jobs.list_events(job_id, after, limit)


@router.get("/v1/fine_tuning/jobs/{job_id}/checkpoints")
def list_checkpoints(job_id: str, request: Request, after: str | None = None, limit: int = 10) -> dict[str, Any]:
    return request.app.state.jobs.list_checkpoints(job_id, after, limit)
