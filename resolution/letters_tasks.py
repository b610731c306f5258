"""The letters tasks (imported by resolution/tasks.py for autodiscovery)."""
