"""Free text as the portal keeps it: in Unicode's compatibility form (NFKC), without control,
format or other invisible characters, so that an answer made only of zero-width spaces counts
as empty and nothing unseen is stored with what a person wrote.

Joiners that shape the visible character before them stay: emoji sequences (zero-width joiner,
variation selectors, the tags of the England, Scotland and Wales flags) and the zero-width
non-joiner of Persian and Indic spelling."""

import unicodedata

# Default_Ignorable_Code_Point in Unicode's DerivedCoreProperties.txt (rendered as nothing, some
# of them letters or marks to unicodedata), and the braille blank, which looks like a space.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_JOINER_RANGES = ((0x200C, 0x200D), (0xFE00, 0xFE0F), (0xE0020, 0xE007F), (0xE0100, 0xE01EF))
_LINE_BREAKS = frozenset("\n\u2028\u2029\x85\x0b\x0c")


def _within(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in ranges)


def is_invisible(char: str) -> bool:
    """Whether `char` shows nothing by itself: a control, format or default-ignorable one."""
    return unicodedata.category(char) in ("Cc", "Cf") or _within(char, _INVISIBLE_RANGES)


def has_visible_text(value: str) -> bool:
    """Whether `value` holds at least one character a reader sees: not a space, not invisible
    and not a combining mark with nothing to sit on."""
    return any(
        not char.isspace()
        and not is_invisible(char)
        and not unicodedata.category(char).startswith("M")
        for char in value
    )


def normalise_text(value: str, *, multiline: bool) -> str:
    """`value` in NFKC without invisible characters; line breaks become "\\n" when `multiline`,
    a space otherwise, and tabs a space. A NUL is left for the form's validator to refuse
    with its own message, rather than dropped unseen."""
    value = unicodedata.normalize("NFKC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept: list[str] = []
    after_visible = False
    for char in value:
        if char in _LINE_BREAKS:
            kept.append("\n" if multiline else " ")
            after_visible = False
        elif char == "\t":
            kept.append(" ")
            after_visible = False
        elif char == "\x00" or not is_invisible(char):
            kept.append(char)
            after_visible = not char.isspace()
        elif after_visible and _within(char, _JOINER_RANGES):
            kept.append(char)
    return "".join(kept)
