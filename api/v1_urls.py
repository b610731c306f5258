"""The API's v1 URLs."""

urlpatterns: list = []
