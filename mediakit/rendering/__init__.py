"""Rendering: pure plans (argv + frame sources) built from probed media and presets, then run."""
