"""The API's webhooks URLs."""

urlpatterns: list = []
