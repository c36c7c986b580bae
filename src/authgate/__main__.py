"""``python -m authgate``: the command line."""

from authgate.cli import main

main()
