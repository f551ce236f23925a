"""The database's versioned migrations (SQL files in `migrations/`, applied in name order)."""
