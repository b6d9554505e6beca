"""Designed sweeps: designs, the runner, execution backends and the results folder."""
