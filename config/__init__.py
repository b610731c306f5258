"""The Django project: settings, root urls, the Celery app, wsgi and asgi.

The Celery app is loaded with Django, so that tasks are queued through it from web processes."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
