"""The payments pages' URLs (in the "resolution" namespace)."""

urlpatterns: list = []
