"""The privacy export pages' URLs (in the "privacy" namespace)."""

urlpatterns: list = []
