"""The offers pages' URLs (in the "resolution" namespace)."""

urlpatterns: list = []
