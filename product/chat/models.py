"""Models for chat."""
