"""Reusable widgets of the reception app, one per module."""
