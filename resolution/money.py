"""Amounts of money as the patient reads them: in figures (£12,500.00) and in words ("twelve
thousand, five hundred pounds"), for the confirmation of an offer and the letters."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from num2words import num2words

PENNY = Decimal("0.01")


def pounds(amount: Decimal) -> str:
    """£12,500.00: always two decimal places and grouped thousands."""
    return "£" + number_format(amount.quantize(PENNY), decimal_pos=2, force_grouping=True)


def amount_in_words(amount: Decimal) -> str:
    """Twelve thousand, five hundred pounds and fifty pence (British English, no "sterling")."""
    whole, pence = divmod(int(amount.quantize(PENNY, rounding=ROUND_HALF_UP) * 100), 100)
    words = f"{num2words(whole, lang='en')} {'pound' if whole == 1 else 'pounds'}"
    if pence:
        words += f" and {num2words(pence, lang='en')} {'penny' if pence == 1 else 'pence'}"
    return words[0].upper() + words[1:]
