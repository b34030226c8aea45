"""Terminal reception app (Textual): a client of one edge node's HTTP API, nothing more."""
