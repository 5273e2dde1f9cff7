"""Files: opening untrusted unit files safely, reading them into grids and tables, the sources and
their worker pool, locking the master, reading a master back and the period history store, and the
text of narrative reports in any format (text_docs)."""
