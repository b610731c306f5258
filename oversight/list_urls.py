"""The oversight list pages' URLs (in the "oversight" namespace)."""

urlpatterns: list = []
