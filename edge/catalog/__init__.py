"""catalog at the edge."""
