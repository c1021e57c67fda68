"""The project's own test corpus, generated from the official 様式1 (see README.md in this folder)."""
