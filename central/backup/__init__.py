"""Hub backups: scheduled ``pg_dump`` with retention, their log, and restore."""
