"""The command-line interface (the only layer that prints, draws progress or configures logging)."""
