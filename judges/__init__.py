"""Judging: rubrics, LLM judges, deterministic instruments, panel agreement, calibration."""
