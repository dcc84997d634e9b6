"""The `llaqo` command line: thin Typer commands over the `model` library."""
