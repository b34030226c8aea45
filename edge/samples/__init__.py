"""samples at the edge."""
