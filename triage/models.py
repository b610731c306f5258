"""Teams at an insurer. Routing rules, capacity and assignment build on these."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of an insurer's adjusters that claims are routed to."""

    insurer = models.ForeignKey(
        "portal.Insurer", on_delete=models.PROTECT, related_name="teams", verbose_name=_("insurer")
    )
    name = models.CharField(_("name"), max_length=120)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("triage lead"),
        limit_choices_to={"role": "triage_lead"},
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="teams",
        verbose_name=_("adjusters"),
        limit_choices_to={"role": "adjuster"},
    )

    class Meta:
        ordering = ["insurer__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "name"], name="team_unique_name_per_insurer")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insurer})"

    def clean(self) -> None:
        super().clean()
        if self.lead_id and self.lead.insurer_id != self.insurer_id:
            raise ValidationError({"lead": _("The triage lead must work for the team's insurer.")})
