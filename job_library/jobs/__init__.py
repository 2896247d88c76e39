"""One module per job class of the catalog."""
