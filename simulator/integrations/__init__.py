"""Integrations with other evaluation harnesses (optional extras). The top of the stages, beside
the CLI: nothing in the package imports them."""
