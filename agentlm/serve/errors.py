"""Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`, for every failure the server reports."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agentlm.runtime.chat_model import ContextLengthError
from agentlm.train.jobs import ServiceError

log = logging.getLogger("agentlm.serve")
_CODES = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class APIError(Exception):
    """An error to send as OpenAI does: HTTP `status` and the error object's fields."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind


def error_body(message: str, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, kind, param, code), status_code=status, headers=headers)


def model_not_found(model: str) -> APIError:
    return APIError(404, f"The model `{model}` does not exist or you do not have access to it.", "model",
                    "model_not_found")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception the app can raise to an OpenAI-shaped JSON response."""

    @app.exception_handler(APIError)
    async def _api(_: Request, err: APIError) -> JSONResponse:
        return error_response(err.status, err.message, err.kind, err.param, err.code)

    @app.exception_handler(ServiceError)
    async def _service(_: Request, err: ServiceError) -> JSONResponse:
        return error_response(err.status, err.message, err.kind, err.param, err.code)

    @app.exception_handler(ContextLengthError)
    async def _context(_: Request, err: ContextLengthError) -> JSONResponse:
        return error_response(400, str(err), param="messages", code="context_length_exceeded")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
        param = ".".join(loc) or None
        if first.get("type") == "missing":
            message = f"Missing required parameter: '{param}'."
        else:
            message = f"Invalid value for '{param}': {first.get('msg', 'invalid request')}." if param \
                else f"Invalid request: {first.get('msg', 'the body could not be read')}."
        return error_response(400, message, param=param, code="invalid_value" if param else None)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, err: HTTPException) -> JSONResponse:
        message = err.detail if isinstance(err.detail, str) else str(err.detail)
        if err.status_code == 404 and message == "Not Found":
            message = "Unknown request URL. Please check the URL and method."
        return error_response(err.status_code, message, code=_CODES.get(err.status_code),
                              headers=getattr(err, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, err: Exception) -> JSONResponse:
        log.exception("internal error")
        return error_response(500, f"The server had an error while processing your request: {err}", "server_error")
