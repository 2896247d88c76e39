"""Student Billing jobs: cash drawers, the Store and online payments."""
