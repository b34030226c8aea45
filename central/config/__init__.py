"""Company, sedes and settings owned by the hub (replicated to every edge), with history."""
