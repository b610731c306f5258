"""The privacy lifecycle's records; each area keeps its models in its own module, imported
here so Django finds them."""
