"""Models for llm."""
