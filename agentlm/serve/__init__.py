"""The OpenAI-compatible HTTP server (FastAPI): `agentlm.serve.app.create_app(ServerConfig(...))`, or `agentlm serve`.

Modules: `app` (config, API key, body limits, lifespan, `run`, `background`), `models` (the model registry and
`/v1/models`), `chat` (`/v1/chat/completions`), `embeddings` (`/v1/embeddings`), `agent_runs`
(`/v1/agent/runs`), `fine_tuning` (`/v1/files`, `/v1/fine_tuning/jobs` over `agentlm.train.jobs.JobService`),
`streaming` (server-sent events), `errors` (OpenAI's error shape).
"""
