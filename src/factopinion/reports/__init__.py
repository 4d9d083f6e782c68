"""Opinion-share reports over the output of ``label --documents`` or ``label --sentences``: shares per group and
period with bootstrap intervals (``shares``), and a self-contained HTML page with a chart (``page``)."""
