"""Experiments around the model: the command line, result files, charts, sweeps."""
