"""empathy-sim: multi-turn relational simulation for measuring empathy in language models."""

__version__ = "0.1.0"
