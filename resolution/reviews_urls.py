"""The reviews pages' URLs (in the "resolution" namespace)."""

urlpatterns: list = []
