"""The privacy account pages' URLs (in the "privacy" namespace)."""

urlpatterns: list = []
