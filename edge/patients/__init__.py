"""patients at the edge."""
