"""Scale-out: the rollups computed on an engine (DuckDB, Spark, a warehouse) through ibis, merged into the store."""
