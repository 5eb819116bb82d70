"""wagtail-sixdegrees: survivor stories, donations with preferences, exact allocation."""

__version__ = "0.1.0.dev0"
