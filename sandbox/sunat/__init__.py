"""SUNAT SEE simulator: SOAP billService / billConsultService with signed CDRs and faults."""
