"""Tables in and out: the formats ``label`` reads and writes, one module per format (``delimited`` for CSV and
TSV, ``jsonl``, ``parquet``) behind one registry (``registry.FORMATS``); ``streams`` (gzip, sniffing, counting),
``columns`` (what every reader and sink shares), ``csvstream`` (lossless CSV/TSV records, the text-column rule)."""
