"""Group pages."""
