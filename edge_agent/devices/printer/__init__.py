"""The ticket printer: ESC/POS bytes, status, and reading them back."""
