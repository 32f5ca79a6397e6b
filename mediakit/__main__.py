"""`python -m mediakit` runs the CLI."""

from mediakit.cli.main import main

main()
