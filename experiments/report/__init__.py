"""The HTML report of a sweep or run results folder: sections, charts and statistics."""
