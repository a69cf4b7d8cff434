"""An example AgentLM tool plugin package (see README.md)."""
