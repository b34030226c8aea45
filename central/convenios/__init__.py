"""Convenios: companies and insurers with their RUC, price list or coverage, credit terms."""
