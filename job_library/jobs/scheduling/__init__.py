"""Jobs of the SIS scheduling area: course requests, waitlists, sections."""
