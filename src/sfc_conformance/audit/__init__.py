"""The portfolio audit: READY-1 for every merchant of an account (``engine``), written out as a
table, JSON or CSV one merchant at a time (``output``)."""
