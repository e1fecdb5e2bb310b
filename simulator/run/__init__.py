"""A run: config, plan, runner, process shards, sweeps, and re-scoring saved conversations."""
