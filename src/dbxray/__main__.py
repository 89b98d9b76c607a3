"""``python -m dbxray``: the same as the ``dbxray`` command."""

from dbxray.cli import main

main()
