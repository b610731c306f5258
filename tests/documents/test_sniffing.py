"""Types are judged by content, and the name's extension must agree."""

import pytest

from documents.sniffing import DOCX, HEIC, JPEG, ODT, PDF, PNG, TEXT, TIFF, extension_of, sniff
from tests.documents import samples


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (samples.pdf(), PDF),
        (samples.jpeg(), JPEG),
        (samples.png(), PNG),
        (samples.heic(), HEIC),
        (samples.tiff(), TIFF),
        (samples.docx(), DOCX),
        (samples.odt(), ODT),
        ("Letter from the ward: café, 12 °C\n".encode(), TEXT),
        (samples.EICAR, TEXT),
    ],
)
def test_allowed_types_are_recognised_by_their_bytes(content, expected):
    assert sniff(content, complete=True) is expected


@pytest.mark.parametrize(
    "content",
    [
        samples.executable(),
        samples.html(),
        b"  <html><body>hi</body></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        samples.eicar_zip(),
        samples.eicar_gzip(),
        b"\x00\x01\x02binary",
        b"",
    ],
)
def test_anything_else_is_not_recognised(content):
    assert sniff(content, complete=True) is None


def test_a_multibyte_character_cut_at_the_end_of_the_sample_is_still_text():
    sample = "é".encode() * 10
    assert sniff(sample[:-1], complete=False) is TEXT
    assert sniff(sample[:-1], complete=True) is None


@pytest.mark.parametrize(
    ("name", "extension"),
    [("scan.PDF", "pdf"), ("archive.tar.gz", "gz"), ("README", ""), (".bashrc", ""), ("a.", "")],
)
def test_extension_of(name, extension):
    assert extension_of(name) == extension
