"""orders at the edge."""
