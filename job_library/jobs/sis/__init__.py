"""Jobs of Focus's core SIS: addresses and zoning, enrollment rollover, health, grades."""
