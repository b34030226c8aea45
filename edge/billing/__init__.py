"""SUNAT invoicing at the edge: queue, SOAP client, CDR handling."""
