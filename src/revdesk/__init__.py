"""RevDesk: an open-source revenue desk for sales operations and the deal desk."""

__version__ = "0.1.0"
