"""Django's SQLite backend with the writers of one process served first come, first served (base.py)."""
