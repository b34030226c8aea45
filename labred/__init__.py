"""The ``labred`` command line: sub-commands of every part, and the demo orchestrator."""
