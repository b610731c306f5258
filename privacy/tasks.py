"""The privacy app's Celery tasks, found by autodiscovery here; each area keeps its own in
privacy/<area>_tasks.py."""

from privacy.export_tasks import *  # noqa: F403
from privacy.retention_tasks import *  # noqa: F403
