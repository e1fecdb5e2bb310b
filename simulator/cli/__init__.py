"""The `empathy-sim` command: a thin layer over the stages below. Nothing imports it."""
