"""What a browser posts for a date typed in the three boxes of the date input pattern
(portal/date_input.py): `<name>_day`, `<name>_month` and `<name>_year`."""

import datetime


def date_parts(name: str, value) -> dict[str, str]:
    """The three parts of `value` (a date, "YYYY-MM-DD", or a (day, month, year) tuple)."""
    if isinstance(value, datetime.date):
        day, month, year = value.day, value.month, value.year
    elif isinstance(value, tuple):
        day, month, year = value
    elif value == "":
        day = month = year = ""
    else:
        year, month, day = value.split("-")
    return {f"{name}_day": str(day), f"{name}_month": str(month), f"{name}_year": str(year)}


def with_date_parts(data: dict, *names: str) -> dict:
    """`data` with each date in `names` posted as its three parts instead of one value."""
    posted = {key: value for key, value in data.items() if key not in names}
    for name in names:
        if name in data:
            posted.update(date_parts(name, data[name]))
    return posted


def fill_date(page, legend: str, value) -> None:
    """Type `value` into the Day, Month and Year boxes of the date question `legend`, as a
    person would in a browser (Playwright's page or a locator)."""
    parts = list(date_parts("x", value).values())
    group = page.get_by_role("group", name=legend, exact=True)
    for label, part in zip(("Day", "Month", "Year"), parts, strict=True):
        group.get_by_label(label, exact=True).fill(part)
