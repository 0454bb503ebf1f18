"""Thread pages."""
