"""Benchmark harness: a loopback OpenAI-compatible server and scripts run as `python -m bench.<name>`."""
