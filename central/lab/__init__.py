"""Laboratory systems (LIS) the sedes send orders to, their test-code maps, and which system each
sede uses; all replicated down to the edges through the change feed."""
