"""`python -m simulator.cli` is `empathy-sim`."""

from simulator.cli.main import main

main()
