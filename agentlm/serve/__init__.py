"""The OpenAI-compatible HTTP server (FastAPI) and its routes."""
