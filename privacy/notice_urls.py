"""The privacy notice pages' URLs (in the "privacy" namespace)."""

urlpatterns: list = []
