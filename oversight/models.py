"""Oversight keeps no data of its own yet: it reads claims, offers and payments."""
