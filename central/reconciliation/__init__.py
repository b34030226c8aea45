"""Daily reconciliation of each sede's business day (DESIGN.md section 5): closures and findings."""
