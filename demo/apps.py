from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data `make run` seeds and the commands that seed it and print its second factor.
    It sits on the top floor, under config, because the seed writes to every app."""

    name = "demo"
    verbose_name = "Demo"
