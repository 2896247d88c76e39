"""Jobs of Florida state reporting."""
