"""Values and parsing, the lowest layer: meter readings, device boot messages, local wall-clock arithmetic.
Imports nothing of PySEB's above it (tests/test_layers.py)."""
