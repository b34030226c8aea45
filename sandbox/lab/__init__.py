"""Laboratory system (LIS) stand-in: REST and HL7 v2 over MLLP, results back, fault switches."""
