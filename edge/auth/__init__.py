"""Sign-in, tokens, roles and permissions at the edge (users are replicated from the hub)."""
