"""audit at the edge."""
