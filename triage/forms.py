"""Forms for teams."""

from django import forms
from django.utils.translation import gettext as _

from portal.models import Role
from triage.models import Team


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["insurer", "name", "lead", "members"]

    def clean(self):
        cleaned = super().clean()
        insurer = cleaned.get("insurer")
        outsiders = [
            member
            for member in cleaned.get("members") or []
            if member.role != Role.ADJUSTER or member.insurer_id != getattr(insurer, "pk", None)
        ]
        if insurer and outsiders:
            # Claims routed to a team are seen by its members: never another insurer's staff.
            self.add_error(
                "members",
                _("Only adjusters who work for %(insurer)s can be in this team: remove %(names)s.")
                % {"insurer": insurer, "names": ", ".join(str(m) for m in outsiders)},
            )
        return cleaned
