"""One run's results folder: the files (summary, tables) and the run chart."""
