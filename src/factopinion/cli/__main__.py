"""``python -m factopinion.cli``: the command line."""

from .app import main

main()
