"""The date input pattern (portal/date_input.py, templates/includes/date_input.html): what it
takes, each message a person reads, and where the error summary's link lands."""

import datetime
import re

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import timezone

from intake.forms import AboutYouForm
from portal.date_input import DateInputField
from tests.date_input_posts import date_parts

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _today_is_fixed(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


class BirthForm(forms.Form):
    born = DateInputField(label="Date of birth", when="past")


class OptionalForm(forms.Form):
    review = DateInputField(label="Review on (optional)", subject="The review date", required=False)


def _posted(form_class, value, name=None):
    name = name or next(iter(form_class.base_fields))
    return form_class(date_parts(name, value))


def _errors(form_class, value) -> list[str]:
    form = _posted(form_class, value)
    assert not form.is_valid()
    return next(iter(form.errors.values()))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (("", "3", "2007"), "Date of birth must include a day."),
        (("27", "", "2007"), "Date of birth must include a month."),
        (("27", "3", ""), "Date of birth must include a year."),
        (("", "", "2007"), "Date of birth must include a day and month."),
        (("", "3", ""), "Date of birth must include a day and year."),
        (("27", "", ""), "Date of birth must include a month and year."),
        (("", "", ""), "Date of birth must include a day, month and year."),
        (("32", "1", "2007"), "Date of birth must be a real date."),
        (("31", "4", "2007"), "Date of birth must be a real date."),
        (("1", "13", "2007"), "Date of birth must be a real date."),
        (("0", "1", "2007"), "Date of birth must be a real date."),
        (("twenty", "1", "2007"), "Date of birth must be a real date."),
        (("1", "1", "-207"), "Date of birth must be a real date."),
        (("1", "1", "07"), "Date of birth must have a year of 4 numbers, like 2007."),
        (("1", "1", "20071"), "Date of birth must have a year of 4 numbers, like 2007."),
        (("15", "6", "2026"), "Date of birth must be in the past."),
        (("1", "1", "2090"), "Date of birth must be in the past."),
    ],
)
def test_each_wrong_date_gets_its_own_message(typed, message):
    assert _errors(BirthForm, typed) == [message]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (("27", "3", "2007"), datetime.date(2007, 3, 27)),
        ((" 07 ", "03", "2007"), datetime.date(2007, 3, 7)),
        (("1", "March", "2007"), datetime.date(2007, 3, 1)),
        (("1", "sept", "2007"), datetime.date(2007, 9, 1)),
        (("14", "6", "2026"), datetime.date(2026, 6, 14)),
    ],
)
def test_a_real_date_is_taken_however_its_numbers_are_written(typed, expected):
    form = _posted(BirthForm, typed)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"] == expected


@pytest.mark.parametrize(
    ("year", "is_leap"), [(2024, True), (2000, True), (2023, False), (1900, False)]
)
def test_the_29th_of_february_is_a_real_date_only_in_a_leap_year(year, is_leap):
    form = _posted(BirthForm, ("29", "2", str(year)))

    assert form.is_valid() is is_leap
    if not is_leap:
        assert form.errors["born"] == ["Date of birth must be a real date."]


@pytest.mark.parametrize(
    ("when", "day", "message"),
    [
        ("past", TODAY, "The day must be in the past."),
        (
            "today_or_past",
            TODAY + datetime.timedelta(days=1),
            "The day must be today or in the past.",
        ),
        ("future", TODAY, "The day must be in the future."),
        (
            "today_or_future",
            TODAY - datetime.timedelta(days=1),
            "The day must be today or in the future.",
        ),
    ],
)
def test_a_date_on_the_wrong_side_of_today_says_which_side_it_must_be(when, day, message):
    field = DateInputField(label="When?", subject="The day", when=when)

    with pytest.raises(forms.ValidationError) as refused:
        field.clean([str(day.day), str(day.month), str(day.year)])

    assert refused.value.messages == [message]
    one_day = datetime.timedelta(days=1)
    on_the_right_side = day + one_day if "future" in when else day - one_day
    assert field.clean(list(date_parts("x", on_the_right_side).values()))


def test_the_earliest_date_is_said_in_words():
    field = DateInputField(label="When?", subject="The day", earliest=datetime.date(1900, 1, 1))

    with pytest.raises(forms.ValidationError) as refused:
        field.clean(["31", "12", "1899"])

    assert refused.value.messages == ["The day must be on or after 1 January 1900."]


def test_the_forms_own_message_for_a_missing_date_wins_and_an_optional_one_may_be_empty():
    assert AboutYouForm({}).errors["date_of_birth"] == ["Enter your date of birth."]
    assert _posted(OptionalForm, "").is_valid()
    assert OptionalForm({}).is_valid()


def _summary_and_fields(form) -> tuple[str, str]:
    form.is_valid()
    summary = render_to_string("includes/error_summary.html", {"form": form})
    fields = render_to_string("includes/form_fields.html", {"form": form})
    return summary, fields


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        (("27", "", "2007"), "id_born_1"),  # the month, the part missing
        (("27", "3", ""), "id_born_2"),
        (("", "", "2007"), "id_born_0"),  # the first of the parts missing
        (("32", "3", "2007"), "id_born_0"),  # the whole date: its first box
        (("", "", ""), "id_born_0"),
    ],
)
def test_the_error_summary_links_to_the_first_box_in_error(typed, target):
    summary, fields = _summary_and_fields(_posted(BirthForm, typed))

    assert f'href="#{target}"' in summary
    # The target is a box a person can type in, not a wrapper.
    assert re.search(rf'<input [^>]*id="{target}"', fields)


def test_only_the_parts_missing_are_marked_in_error_and_what_was_typed_is_kept():
    _, fields = _summary_and_fields(_posted(BirthForm, ("27", "", "2007")))

    day, month, year = (
        re.search(rf'<input [^>]*id="id_born_{index}"[^>]*>', fields).group(0) for index in range(3)
    )
    assert 'value="27"' in day and "aria-invalid" not in day
    assert 'aria-invalid="true"' in month and "input-error" in month
    assert 'value="2007"' in year and "aria-invalid" not in year


def test_the_date_is_a_fieldset_of_three_labelled_numeric_boxes_with_a_hint():
    html = render_to_string(
        "includes/form_fields.html",
        {"form": AboutYouForm(initial={"date_of_birth": datetime.date(1984, 5, 17)})},
    )

    assert re.search(r"<fieldset[^>]*>\s*<legend>Date of birth</legend>", html)
    assert "For example, 27 3 2007" in html
    assert 'aria-describedby="id_date_of_birth_hint"' in html
    for index, (part, label, value) in enumerate(
        [("day", "Day", "17"), ("month", "Month", "5"), ("year", "Year", "1984")]
    ):
        assert (
            f'<label class="date-input-label" for="id_date_of_birth_{index}">{label}</label>'
            in html
        )
        box = re.search(rf'<input [^>]*name="date_of_birth_{part}"[^>]*>', html).group(0)
        assert 'inputmode="numeric"' in box and f'value="{value}"' in box
        assert f'autocomplete="bday-{part}"' in box
    assert 'type="date"' not in html


def test_a_date_to_come_has_an_example_to_come():
    field = DateInputField(label="Reply by", ahead=True)
    soon = TODAY + datetime.timedelta(days=30)

    assert field.example == f"{soon.day} {soon.month} {soon.year}"


class FilterForm(forms.Form):
    start = DateInputField(label="From", subject="The first day", accept_single=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"start": "2026-03-01"}, datetime.date(2026, 3, 1)),
        ({"start": "1/3/2026"}, datetime.date(2026, 3, 1)),
        (date_parts("start", "2026-03-01"), datetime.date(2026, 3, 1)),
        # Parts typed on the page win over the one value a link carried.
        ({"start": "2026-01-01", **date_parts("start", "2026-03-01")}, datetime.date(2026, 3, 1)),
    ],
)
def test_a_filter_takes_the_three_parts_or_the_one_value_of_a_link(query, expected):
    form = FilterForm(query)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["start"] == expected


def test_a_filter_given_no_date_at_all_says_so():
    form = FilterForm({"start": "yesterday"})

    assert form.errors["start"] == ["The first day must be a real date."]


def test_a_form_that_posts_one_value_for_the_parts_is_not_taken_for_a_date():
    """Only filters read from a URL take one value; a posted form needs the three boxes."""
    assert BirthForm({"born": "2007-03-27"}).errors["born"] == [
        "Date of birth must include a day, month and year."
    ]


# --- The other patterns of the field templates ---------------------------------------------------


class PatternsForm(forms.Form):
    story = forms.CharField(label="What happened?", widget=forms.Textarea, max_length=5000)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    reference = forms.CharField(label="Reference", max_length=10)
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="I agree")


def test_a_long_answer_with_a_limit_says_the_limit_and_is_counted():
    html = render_to_string("includes/form_fields.html", {"form": PatternsForm()})

    assert 'class="character-count" data-maxlength="5000"' in html
    assert "You can enter up to 5,000 characters" in html
    assert 'data-remaining-other="You have %(count)s characters remaining"' in html
    story = re.search(r"<textarea [^>]*name=\"story\"[^>]*>", html).group(0)
    assert 'aria-describedby="id_story_count"' in story
    assert html.count("character-count-info") == 1  # not on the text area without a limit


def test_boxes_are_sized_by_their_length_and_choices_come_before_their_labels():
    html = render_to_string("includes/form_fields.html", {"form": PatternsForm()})

    assert re.search(r'<input [^>]*class="input-width-10"[^>]*id="id_reference"', html)
    assert re.search(
        r'<div class="choice choice-radio"><input type="radio"[^>]*id="id_kind_0"[^>]*>'
        r'<label for="id_kind_0">A</label>',
        html,
    )
    assert re.search(r'<div class="choice choice-checkbox"><input type="checkbox"', html)


def test_the_error_summary_links_a_choice_to_its_first_option():
    form = PatternsForm({})
    form.is_valid()
    summary = render_to_string("includes/error_summary.html", {"form": form})

    assert 'href="#id_kind_0"' in summary
    assert 'href="#id_story"' in summary and 'href="#id_agree"' in summary
