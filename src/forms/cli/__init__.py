"""The `forms` command: ``main`` builds the parser and runs one command; one module per command group."""
