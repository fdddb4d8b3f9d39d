"""Synthetic customer databases for the course's four companies.

Each industry (retail, bank, pharma, auto) registers itself in ``INDUSTRIES``;
``python -m generator build`` writes their databases.
"""

__version__ = "0.1.0"

# industry name -> module that builds it; filled in as industries are added
INDUSTRIES: dict[str, object] = {}
