"""``python -m factopinion``: the command line, as the ``factopinion`` console script runs it."""

from .cli.app import main

main()
