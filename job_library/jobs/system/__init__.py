"""Jobs that keep the scheduler healthy: history retention, missing classes, workers."""
