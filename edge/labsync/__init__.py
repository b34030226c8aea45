"""Laboratory integration: the durable send queue (REST, HL7 over MLLP, file drop), the
MLLP listener and webhook for results, and the results kept per test."""
