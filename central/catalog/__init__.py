"""The hub's catalog: categories, tests and panels, prices with history and effective dates."""
