"""The Gradio chat app (installs as agentlm_ui), a thin shell over the Python API."""
