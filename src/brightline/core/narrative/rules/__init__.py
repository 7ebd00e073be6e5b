"""Phrase lists (JSON data) for the narrative checks; see README.md."""
