"""Models for devmodel."""
