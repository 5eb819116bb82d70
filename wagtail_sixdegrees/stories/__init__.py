"""Survivor stories told safely: story pages, consent, safety review and image privacy."""
