"""Consolidated patients at the hub: one list across sedes, search, orders in every sede."""
