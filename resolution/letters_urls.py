"""The letters pages' URLs (in the "resolution" namespace)."""

urlpatterns: list = []
