"""Jobs of Communication (and its older Phone Communication): the queue and what fills it."""
