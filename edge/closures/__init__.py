"""The sede's mirror of the hub's reconciliation closures (read-only here)."""
