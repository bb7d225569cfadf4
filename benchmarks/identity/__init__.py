"""Accuracy benchmark for identity resolution, engine-agnostic.

Datasets are written in the interchange format (one `Touchpoint` JSON object per line) with a ground-truth
file beside each (`{"touchpoint_id": ..., "entity_id": ...}` per line); an engine under test reads the
interchange file and writes a links file (`{"touchpoint_id": ..., "citizen_id": ...}` per line) that
`benchmarks.identity.scoring` compares with the truth. See `benchmarks/identity/README.md`.
"""
