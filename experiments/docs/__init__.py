"""Generated documentation: the ODD parameter tables, config docs and the baseline file."""
