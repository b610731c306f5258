"""The oversight dashboard pages' URLs (in the "oversight" namespace)."""

urlpatterns: list = []
