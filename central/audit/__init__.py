"""The hub's audit of critical administrative actions (who, what, when, from where)."""
