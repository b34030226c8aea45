"""cash at the edge."""
