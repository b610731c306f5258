"""The upload form: a fixed number of rows, each a file and its category, so that several files
with a category each can be sent without JavaScript (the script offers drag and drop instead)."""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.models import DocumentCategory
from documents.sniffing import ALLOWED_EXTENSIONS
from documents.upload import StoredUpload

ACCEPT_ATTRIBUTE = ",".join(sorted(f".{extension}" for extension in ALLOWED_EXTENSIONS))


class DocumentUploadForm(forms.Form):
    def __init__(self, *args, slots: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_count = slots
        for number in range(1, slots + 1):
            self.fields[f"file_{number}"] = forms.FileField(
                label=gettext_lazy("File %(number)d") % {"number": number},
                required=False,
                widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
            )
            self.fields[f"category_{number}"] = forms.ChoiceField(
                label=gettext_lazy("What is file %(number)d?") % {"number": number},
                required=False,
                choices=[("", gettext_lazy("Choose a category")), *DocumentCategory.choices],
            )

    def refuse(self, messages: list[str]) -> None:
        """Show `messages` (why the upload was refused) at the top of the form, bound or not."""
        if self._errors is None and not self.is_bound:
            self._errors = ErrorDict()
            self.cleaned_data = {}
        for message in messages:
            self.add_error(None, message)

    @property
    def slots(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"file_{number}"], self[f"category_{number}"])
            for number in range(1, self.slot_count + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for number in range(1, self.slot_count + 1):
            upload = cleaned.get(f"file_{number}")
            if not upload:
                continue
            chosen += 1
            if not cleaned.get(f"category_{number}"):
                self.add_error(
                    f"category_{number}",
                    _("Choose what “%(name)s” is.") % {"name": upload.name},
                )
        if not chosen and not self.errors:
            self.add_error("file_1", _("Choose a file to send."))
        return cleaned

    def uploads(self) -> list[tuple[StoredUpload, str]]:
        """The stored files with their categories. Precondition: the form is valid."""
        return [
            (self.cleaned_data[f"file_{number}"], self.cleaned_data[f"category_{number}"])
            for number in range(1, self.slot_count + 1)
            if self.cleaned_data.get(f"file_{number}")
        ]
