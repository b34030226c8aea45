"""Screens of the reception app, one per module."""
