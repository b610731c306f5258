"""The resolution app's Celery tasks, found by autodiscovery here; each area keeps its own in
resolution/<area>_tasks.py."""

from resolution.letters_tasks import *  # noqa: F403
from resolution.offers_tasks import *  # noqa: F403
