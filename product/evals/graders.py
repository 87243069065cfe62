"""The built-in graders (registry.grader). Filled in by the graders work."""
