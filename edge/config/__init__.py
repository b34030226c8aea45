"""Hub-owned configuration mirrored at the edge: company, sedes, settings."""
