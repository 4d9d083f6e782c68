"""Tables in and out: the formats ``label`` reads and writes (CSV/TSV, JSON Lines, Parquet; gzipped or not), the
lossless CSV record stream, the text-column rule."""
