"""``python -m experiments.cli``: the ``grassroots`` command."""

import sys

from experiments.cli.main import main

sys.exit(main())
