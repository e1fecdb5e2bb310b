"""Ground floor: records, cards and their loading, the run store, shipped validity figures. Imports nothing else of ours."""
