"""Consolidated reports and the dashboard, over summary tables kept by triggers."""
