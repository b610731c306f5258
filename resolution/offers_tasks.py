"""The offers tasks (imported by resolution/tasks.py for autodiscovery)."""
