"""Original names are cleaned for display and encoded safely into download headers."""

import pytest

from documents.names import MAX_NAME_LENGTH, clean_file_name, content_disposition


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
        ("report\x00.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("  spaced   out .pdf ", "spaced out .pdf"),
        ("..", "document"),
        ("", "document"),
        ("Arztbrief Müller.pdf", "Arztbrief Müller.pdf"),
    ],
)
def test_names_are_cleaned(raw, cleaned):
    assert clean_file_name(raw) == cleaned


def test_a_long_name_is_shortened_keeping_its_extension():
    cleaned = clean_file_name("x" * 300 + ".pdf")

    assert len(cleaned) == MAX_NAME_LENGTH
    assert cleaned.endswith("x.pdf")


def test_content_disposition_is_an_attachment_with_an_ascii_fallback_and_utf8_name():
    header = content_disposition('Brief "Müller"; x=1\r\n.pdf')

    assert header.startswith("attachment; ")
    assert "\r" not in header and "\n" not in header
    assert 'filename="Brief _Muller__ x_1 .pdf"' in header
    assert "filename*=UTF-8''Brief%20%22M%C3%BCller%22%3B%20x%3D1%20.pdf" in header
