"""Jobs of the SIS attendance area: daily and summary attendance, tardies."""
