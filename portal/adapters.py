"""allauth policy for the portal: who may sign up, and as what."""

from allauth.account.adapter import DefaultAccountAdapter

from portal.models import Role


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Self-service accounts are patients or advocates only; advocates start unverified."""
        user = super().save_user(request, user, form, commit=False)
        role = form.cleaned_data.get("role")
        user.role = role if role in (Role.PATIENT, Role.ADVOCATE) else Role.PATIENT
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user.advocate_verified_at = None
        user.is_staff = False
        user.insurer = None
        if commit:
            user.save()
        return user
