"""Jobs of Florida Postsecondary and adult education (FPS)."""
