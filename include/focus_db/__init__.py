"""The Focus database: engine, schema and migrations."""
