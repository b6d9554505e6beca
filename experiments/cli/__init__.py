"""The ``grassroots`` command: ``main.py`` builds the parser, one module per command."""
