"""Each question page's form: what it accepts, what it refuses and the message the patient reads."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.advocates.forms import OnBehalfStartForm
from intake.forms import (
    AboutYouForm,
    DeclarationForm,
    HarmForm,
    LossesForm,
    MessageForm,
    ProviderForm,
    WhatHappenedForm,
    WithdrawForm,
)
from intake.models import Claim
from tests.date_input_posts import date_parts
from tests.factories import ClaimFactory, ProviderFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 15)
NULL_MESSAGE = "Null characters are not allowed."
# Markup, a right-to-left override that could disguise text, and characters outside the BMP.
HOSTILE_TEXT = (
    '<script>alert("x")</script><b onmouseover="steal()">bold</b> '
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd Zoë naïve 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "
    "e\u0301 \u200d"
)
# The same text as it is stored: in NFKC (the Fraktur letters are plain, "e" and its accent one
# letter), without the direction override or the stray zero-width joiner.
HOSTILE_STORED = (
    '<script>alert("x")</script><b onmouseover="steal()">bold</b> '
    "evil \u05e9\u05dc\u05d5\u05dd Zoë naïve 😀 Unicode \u00e9"
)
# The same kinds of character, short enough for a phone or NHS number field.
HOSTILE_SHORT, HOSTILE_SHORT_STORED = "\u202eZoë\u202c 😀 𝔘𝔫𝔦 e\u0301\u200b", "Zoë 😀 Uni \u00e9"


@pytest.fixture(autouse=True)
def _today_is_fixed(monkeypatch):
    """The forms compare dates with timezone.localdate(); pin it so boundaries are exact."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def _iso(day: datetime.date) -> str:
    return day.isoformat()


# --- About you ----------------------------------------------------------------------------------

ABOUT_YOU = {
    **date_parts("date_of_birth", "1980-05-17"),
    "phone": "07700 900123",
    "address": "1 High Street\nManchester",
    "nhs_number": "",
}


def test_about_you_saves_the_answers():
    claim = ClaimFactory()
    form = AboutYouForm(ABOUT_YOU, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert claim.date_of_birth == datetime.date(1980, 5, 17)
    assert (claim.phone, claim.address) == ("07700 900123", "1 High Street\nManchester")


def test_about_you_says_which_answers_are_missing():
    form = AboutYouForm({})

    assert form.errors == {
        "date_of_birth": ["Enter your date of birth."],
        "phone": ["Enter your phone number."],
        "address": ["Enter your postal address."],
    }


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (_iso(TODAY), "Date of birth must be in the past."),
        (_iso(TODAY + datetime.timedelta(days=1)), "Date of birth must be in the past."),
        ("2090-01-01", "Date of birth must be in the past."),
        ("1899-12-31", "Date of birth must be on or after 1 January 1900."),
        ("1985-02-30", "Date of birth must be a real date."),
        (("yesterday", "", ""), "Date of birth must include a month and year."),
        (("17", "5", "80"), "Date of birth must have a year of 4 numbers, like 2007."),
    ],
)
def test_about_you_refuses_an_impossible_date_of_birth(born, message):
    form = AboutYouForm({**ABOUT_YOU, **date_parts("date_of_birth", born)})

    assert form.errors == {"date_of_birth": [message]}


@pytest.mark.parametrize("born", [_iso(TODAY - datetime.timedelta(days=1)), "1900-01-01"])
def test_about_you_accepts_the_earliest_and_latest_dates_of_birth(born):
    assert AboutYouForm({**ABOUT_YOU, **date_parts("date_of_birth", born)}).is_valid()


@pytest.mark.parametrize(("field", "limit"), [("phone", 40), ("address", 500), ("nhs_number", 20)])
def test_about_you_refuses_answers_over_their_length(field, limit):
    assert AboutYouForm({**ABOUT_YOU, field: "1" * limit}).is_valid()

    form = AboutYouForm({**ABOUT_YOU, field: "1" * (limit + 1)})

    assert not form.is_valid()
    assert f"at most {limit} characters" in form.errors[field][0]


# --- The provider -------------------------------------------------------------------------------


def test_provider_form_needs_a_provider_or_one_not_listed():
    form = ProviderForm({"provider": "", "provider_not_listed": ""})

    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Choose the provider, or tell us its name if it is not listed."
    ]


def test_provider_form_accepts_a_listed_provider():
    provider = ProviderFactory()
    claim = ClaimFactory()
    form = ProviderForm({"provider": provider.pk, "provider_not_listed": ""}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert (claim.provider, claim.provider_not_listed) == (provider, "")


def test_provider_form_accepts_a_provider_not_listed():
    claim = ClaimFactory()
    form = ProviderForm(
        {"provider": "", "provider_not_listed": "St Elsewhere, Leeds"}, instance=claim
    )

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert (claim.provider, claim.provider_not_listed) == (None, "St Elsewhere, Leeds")


@pytest.mark.parametrize("tampered", ["inactive", "999999999", "abc", "1 OR 1=1"])
def test_provider_form_refuses_a_tampered_provider_id(tampered):
    if tampered == "inactive":
        tampered = ProviderFactory(is_active=False).pk

    form = ProviderForm({"provider": tampered, "provider_not_listed": ""})

    assert form.errors == {"provider": ["Choose a provider from the list."]}


def test_provider_form_lets_an_explicit_choice_win_over_a_provider_not_listed():
    provider = ProviderFactory()
    claim = ClaimFactory(provider_not_listed="Somewhere I typed earlier")
    form = ProviderForm(
        {"provider": provider.pk, "provider_not_listed": "Somewhere I typed earlier"},
        instance=claim,
    )

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert (claim.provider, claim.provider_not_listed) == (provider, "")


def test_provider_form_refuses_a_provider_not_listed_over_200_characters():
    form = ProviderForm({"provider": "", "provider_not_listed": "x" * 201})

    assert not form.is_valid()
    assert "at most 200 characters" in form.errors["provider_not_listed"][0]


def test_provider_form_offers_only_active_providers_matching_the_search():
    wanted = ProviderFactory(name="Royal Infirmary")
    ProviderFactory(name="Royal Hospital", is_active=False)
    ProviderFactory(name="General Hospital")

    form = ProviderForm(query="  royal ")

    assert form.provider_matches == [wanted]


def test_provider_form_keeps_the_chosen_provider_on_offer_whatever_the_search():
    chosen = ProviderFactory(name="General Hospital")
    claim = ClaimFactory(provider=chosen)

    form = ProviderForm(instance=claim, query="Royal")

    assert form.provider_matches == [chosen]


# --- What happened ------------------------------------------------------------------------------

WHAT_HAPPENED = {
    **date_parts("incident_date", "2024-03-04"),
    **date_parts("knowledge_date", "2024-06-10"),
    "harm_category": "surgical",
    "description": "The wrong knee was operated on.",
}


def test_what_happened_saves_the_answers():
    claim = ClaimFactory()
    form = WhatHappenedForm(WHAT_HAPPENED, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert claim.incident_date == datetime.date(2024, 3, 4)
    assert claim.knowledge_date == datetime.date(2024, 6, 10)
    assert claim.harm_category == "surgical"


def test_what_happened_says_which_answers_are_missing():
    form = WhatHappenedForm({})

    assert form.errors == {
        "incident_date": ["Enter the date it happened."],
        "knowledge_date": ["Enter the date you found out."],
        "harm_category": ["Choose the kind of harm."],
        "description": ["Describe what happened."],
    }


def test_what_happened_refuses_an_incident_in_the_future():
    tomorrow = _iso(TODAY + datetime.timedelta(days=1))
    form = WhatHappenedForm(
        {
            **WHAT_HAPPENED,
            **date_parts("incident_date", tomorrow),
            **date_parts("knowledge_date", tomorrow),
        }
    )

    assert form.errors["incident_date"] == ["The date it happened must be today or in the past."]


def test_what_happened_refuses_finding_out_in_the_future():
    tomorrow = _iso(TODAY + datetime.timedelta(days=1))
    form = WhatHappenedForm({**WHAT_HAPPENED, **date_parts("knowledge_date", tomorrow)})

    assert form.errors == {
        "knowledge_date": ["The date you found out must be today or in the past."]
    }


def test_what_happened_accepts_today_for_both_dates():
    form = WhatHappenedForm(
        {
            **WHAT_HAPPENED,
            **date_parts("incident_date", TODAY),
            **date_parts("knowledge_date", TODAY),
        }
    )

    assert form.is_valid(), form.errors


def test_what_happened_refuses_finding_out_before_it_happened_on_the_knowledge_date():
    form = WhatHappenedForm(
        {
            **WHAT_HAPPENED,
            **date_parts("incident_date", "2024-03-04"),
            **date_parts("knowledge_date", "2024-03-03"),
        }
    )

    assert form.errors == {
        "knowledge_date": ["The date you found out cannot be before the date it happened."]
    }


def test_what_happened_accepts_finding_out_on_the_day_it_happened():
    form = WhatHappenedForm({**WHAT_HAPPENED, **date_parts("knowledge_date", "2024-03-04")})

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("incident_date", "1899-12-31", "The date it happened must be on or after 1 January 1900."),
        ("incident_date", "2024-02-30", "The date it happened must be a real date."),
        ("knowledge_date", ("not", "a", "date"), "The date you found out must be a real date."),
        ("knowledge_date", ("", "6", ""), "The date you found out must include a day and year."),
        ("harm_category", "bad-luck", "Select a valid choice."),
    ],
)
def test_what_happened_refuses_impossible_answers(field, value, message):
    posted = date_parts(field, value) if field.endswith("_date") else {field: value}
    form = WhatHappenedForm({**WHAT_HAPPENED, **posted})

    assert not form.is_valid()
    assert form.errors[field][0].startswith(message)


def test_what_happened_takes_a_description_of_up_to_5000_characters():
    assert WhatHappenedForm({**WHAT_HAPPENED, "description": "a" * 5000}).is_valid()

    form = WhatHappenedForm({**WHAT_HAPPENED, "description": "a" * 5001})

    assert form.errors == {
        "description": ["Ensure this value has at most 5000 characters (it has 5001)."]
    }


def test_what_happened_counts_characters_not_bytes():
    # 5,000 emoji are 20,000 bytes in UTF-8, but 5,000 characters to the patient.
    assert WhatHappenedForm({**WHAT_HAPPENED, "description": "😀" * 5000}).is_valid()
    assert not WhatHappenedForm({**WHAT_HAPPENED, "description": "😀" * 5001}).is_valid()


def test_what_happened_stores_markup_and_unusual_characters_as_seen():
    claim = ClaimFactory()
    form = WhatHappenedForm({**WHAT_HAPPENED, "description": HOSTILE_TEXT * 40}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    # Escaping is the template's job; the stored answer is what the patient wrote, as it reads.
    assert Claim.objects.get(pk=claim.pk).description == " ".join([HOSTILE_STORED] * 40)


# --- The harm -----------------------------------------------------------------------------------

HARM = {"severity": "moderate", "injuries": "A scar and physiotherapy.", "ongoing_treatment": "no"}


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("no", False)])
def test_harm_form_stores_the_treatment_answer_as_a_yes_or_no(answer, stored):
    claim = ClaimFactory()
    form = HarmForm({**HARM, "ongoing_treatment": answer}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    assert Claim.objects.get(pk=claim.pk).ongoing_treatment is stored


@pytest.mark.parametrize(("stored", "shown"), [(True, "yes"), (False, "no"), (None, None)])
def test_harm_form_shows_the_earlier_treatment_answer(stored, shown):
    form = HarmForm(instance=ClaimFactory(ongoing_treatment=stored))

    assert form["ongoing_treatment"].value() == shown


def test_harm_form_says_which_answers_are_missing():
    form = HarmForm({})

    assert form.errors == {
        "severity": ["Choose how serious the harm is."],
        "injuries": ["Describe the injuries or illness."],
        "ongoing_treatment": ["Say whether you are still having treatment."],
    }


@pytest.mark.parametrize(
    ("field", "value"), [("severity", "catastrophic"), ("ongoing_treatment", "maybe")]
)
def test_harm_form_refuses_answers_that_were_not_offered(field, value):
    form = HarmForm({**HARM, field: value})

    assert not form.is_valid()
    assert form.errors[field][0].startswith("Select a valid choice.")


def test_harm_form_takes_injuries_of_up_to_3000_characters():
    assert HarmForm({**HARM, "injuries": "i" * 3000}).is_valid()
    assert (
        "at most 3000 characters"
        in HarmForm({**HARM, "injuries": "i" * 3001}).errors["injuries"][0]
    )


# --- Losses -------------------------------------------------------------------------------------


def _losses(data: dict, claim: Claim | None = None) -> LossesForm:
    return LossesForm(data, claim=claim or Claim(losses={}))


def test_losses_form_records_ticked_kinds_with_and_without_amounts():
    form = _losses(
        {"kinds": ["earnings", "care"], "amount_earnings": "1200.50", "time_off_work_days": "12"}
    )

    assert form.is_valid(), form.errors
    assert form.changes() == {
        "losses": {"earnings": "1200.50", "care": ""},
        "time_off_work_days": 12,
    }


def test_losses_form_counts_an_amount_typed_for_an_unticked_kind_as_ticked():
    form = _losses({"kinds": ["care"], "amount_travel": "45.50"})

    assert form.is_valid(), form.errors
    assert form.changes()["losses"] == {"care": "", "travel": "45.50"}


def test_losses_form_accepts_no_losses_at_all():
    form = _losses({})

    assert form.is_valid(), form.errors
    assert form.changes() == {"losses": {}, "time_off_work_days": None}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_treatment", "-1", "Amounts cannot be negative."),
        ("amount_treatment", "-0.01", "Amounts cannot be negative."),
        ("amount_treatment", "150.505", "Enter an amount in pounds and pence, like 150.50."),
        ("amount_treatment", "£150", "Enter an amount in pounds, like 150 or 150.50."),
        ("amount_treatment", "100000000", "Enter an amount under 100 million pounds."),
        ("amount_treatment", "99999999999", "Enter an amount under 100 million pounds."),
        ("time_off_work_days", "-3", "Days off work cannot be negative."),
        ("time_off_work_days", "2.5", "Enter days off work as a whole number, like 12."),
    ],
)
def test_losses_form_refuses_impossible_amounts(field, value, message):
    form = _losses({"kinds": ["treatment"], field: value})

    assert form.errors == {field: [message]}


def test_losses_form_accepts_an_amount_just_under_100_million_pounds():
    form = _losses({"amount_earnings": "99999999.99"})

    assert form.is_valid(), form.errors
    assert form.changes()["losses"] == {"earnings": "99999999.99"}


def test_losses_form_refuses_a_kind_that_was_not_offered():
    form = _losses({"kinds": ["lottery"]})

    assert not form.is_valid()
    assert form.errors["kinds"][0].startswith("Select a valid choice.")


def test_losses_form_shows_the_earlier_answers():
    claim = Claim(losses={"earnings": "1200.50", "care": ""}, time_off_work_days=12)

    form = LossesForm(claim=claim)

    assert form["kinds"].value() == ["earnings", "care"]
    assert form["amount_earnings"].value() == "1200.50"
    assert form["amount_care"].value() is None
    assert form["time_off_work_days"].value() == 12


def test_losses_form_amount_of_zero_is_kept_as_a_loss():
    form = _losses({"amount_travel": "0"})

    assert form.is_valid(), form.errors
    assert form.changes()["losses"] == {"travel": "0"}
    assert Decimal(form.changes()["losses"]["travel"]) == 0


# --- Declaration --------------------------------------------------------------------------------


def test_declaration_needs_every_box_ticked_each_with_its_own_message():
    form = DeclarationForm({})

    assert form.errors == {
        "statement_of_truth": ["Confirm that the facts in your claim are true."],
        "consent_to_share": ["Agree to share your claim with the insurer to continue."],
        "consent_to_records": ["Agree to the insurer obtaining your records to continue."],
    }


def test_declaration_with_every_box_ticked_is_saved():
    claim = ClaimFactory()
    form = DeclarationForm(
        {"statement_of_truth": "on", "consent_to_share": "on", "consent_to_records": "on"},
        instance=claim,
    )

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert claim.statement_of_truth and claim.consent_to_share and claim.consent_to_records


# --- Withdrawal ---------------------------------------------------------------------------------


def test_withdraw_form_reason_is_optional_and_at_most_2000_characters():
    assert WithdrawForm({}).is_valid()
    assert WithdrawForm({"reason": "r" * 2000}).is_valid()
    assert "at most 2000 characters" in WithdrawForm({"reason": "r" * 2001}).errors["reason"][0]


# --- Text as people type it ---------------------------------------------------------------------

TEXT_FIELDS = [
    (AboutYouForm, ABOUT_YOU, "phone"),
    (AboutYouForm, ABOUT_YOU, "address"),
    (AboutYouForm, ABOUT_YOU, "nhs_number"),
    (ProviderForm, {"provider": ""}, "provider_not_listed"),
    (WhatHappenedForm, WHAT_HAPPENED, "description"),
    (HarmForm, HARM, "injuries"),
    (WithdrawForm, {}, "reason"),
]


@pytest.mark.parametrize(
    ("form_class", "answers", "field"),
    TEXT_FIELDS,
    ids=[f"{form.__name__}.{field}" for form, _, field in TEXT_FIELDS],
)
def test_a_nul_byte_in_a_text_answer_is_refused_with_a_clear_message(form_class, answers, field):
    form = form_class({**answers, field: "before\x00after"})

    assert not form.is_valid()
    assert form.errors[field] == [NULL_MESSAGE]


@pytest.mark.parametrize(
    ("form_class", "answers", "field"),
    [row for row in TEXT_FIELDS if row[0] is not WithdrawForm],
    ids=[f"{form.__name__}.{field}" for form, _, field in TEXT_FIELDS if form is not WithdrawForm],
)
def test_markup_and_unusual_characters_are_accepted_and_stored_as_seen(form_class, answers, field):
    claim = ClaimFactory()
    short = Claim._meta.get_field(field).max_length < len(HOSTILE_TEXT)
    typed, stored = (
        (HOSTILE_SHORT, HOSTILE_SHORT_STORED) if short else (HOSTILE_TEXT, HOSTILE_STORED)
    )
    form = form_class({**answers, field: typed}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    assert getattr(Claim.objects.get(pk=claim.pk), field) == stored


def test_a_reason_with_markup_is_accepted_as_seen():
    form = WithdrawForm({"reason": HOSTILE_TEXT})

    assert form.is_valid()
    assert form.cleaned_data["reason"] == HOSTILE_STORED


# --- Text that shows nothing --------------------------------------------------------------------

# Each one renders as nothing (or as a space) however it is typed or pasted.
INVISIBLE_ANSWERS = {
    "zero-width spaces": "\u200b\u200b\u200b",
    "joiners and word joiners": "\u200c\u200d\u2060\ufeff",
    "direction marks": "\u202e\u200f\u2066\u2069",
    "soft hyphen and spaces": " \u00ad\u00a0\u3000\t",
    "Hangul fillers": "\u3164\uffa0\u115f",
    "braille blank": "\u2800",
    "control characters": "\x01\x1b\x7f",
    "lines of nothing": "\r\n\u200b\n\u2028",
    "an accent on nothing": "\u0301",
}
ON_BEHALF = {"full_name": "Sam Lee", "email": "sam@example.org", "holds_signed_form": "on"}
REQUIRED_TEXT = [
    (AboutYouForm, ABOUT_YOU, "phone", "Enter your phone number."),
    (AboutYouForm, ABOUT_YOU, "address", "Enter your postal address."),
    (WhatHappenedForm, WHAT_HAPPENED, "description", "Describe what happened."),
    (HarmForm, HARM, "injuries", "Describe the injuries or illness."),
    (MessageForm, {}, "body", "Write your message."),
    (OnBehalfStartForm, ON_BEHALF, "full_name", "Enter the patient's full name."),
]


@pytest.mark.parametrize("invisible", INVISIBLE_ANSWERS.values(), ids=INVISIBLE_ANSWERS.keys())
@pytest.mark.parametrize(
    ("form_class", "answers", "field", "message"),
    REQUIRED_TEXT,
    ids=[f"{form.__name__}.{field}" for form, _, field, _ in REQUIRED_TEXT],
)
def test_a_required_answer_of_nothing_visible_is_refused_as_missing(
    form_class, answers, field, message, invisible
):
    form = form_class({**answers, field: invisible})

    assert not form.is_valid()
    assert form.errors[field] == [message]


@pytest.mark.parametrize("invisible", INVISIBLE_ANSWERS.values(), ids=INVISIBLE_ANSWERS.keys())
def test_a_provider_named_with_nothing_visible_is_no_provider(invisible):
    form = ProviderForm({"provider": "", "provider_not_listed": invisible})

    assert form.errors == {
        "__all__": ["Choose the provider, or tell us its name if it is not listed."]
    }


def test_an_optional_answer_of_nothing_visible_is_stored_empty():
    claim = ClaimFactory(nhs_number="")
    form = AboutYouForm({**ABOUT_YOU, "nhs_number": "\u200b\u2060"}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    assert Claim.objects.get(pk=claim.pk).nhs_number == ""


def test_invisible_characters_are_not_stored_with_the_answer():
    claim = ClaimFactory()
    typed = "\u200bThe nurse gave \ufeffthe wrong\u00ad dose\u202e.\u200b"
    form = WhatHappenedForm({**WHAT_HAPPENED, "description": typed}, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    assert Claim.objects.get(pk=claim.pk).description == "The nurse gave the wrong dose."


def test_long_answers_keep_their_lines_and_short_ones_become_one_line():
    claim = ClaimFactory()
    address, phone = "1 High Street\r\n\u200b\r\nManchester", "0770\n0900"
    answers = {**ABOUT_YOU, "address": address, "phone": phone}
    form = AboutYouForm(answers, instance=claim)

    assert form.is_valid(), form.errors
    form.save()

    claim.refresh_from_db()
    assert (claim.address, claim.phone) == ("1 High Street\n\nManchester", "0770 0900")


def test_compatibility_characters_are_stored_in_their_plain_form():
    form = MessageForm({"body": "ＣＬＭ－２０２６ ﬁle"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "CLM-2026 file"


@pytest.mark.parametrize(
    "typed",
    [
        "\U0001f469\u200d\u2695\ufe0f nurse",  # woman health worker: an emoji joined by ZWJ
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f flag",  # England
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with its non-joiner
    ],
    ids=["emoji sequence", "subdivision flag", "Persian"],
)
def test_joiners_that_shape_visible_text_are_kept(typed):
    form = MessageForm({"body": typed})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == typed
