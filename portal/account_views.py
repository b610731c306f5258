"""The account page (/accounts/): a person's own name, email address, password, second factors
and signed-in sessions, each linking to the page that changes it.

It shows only the signed-in person's own details, so there is no audit row for looking at it;
changes are audited where they are made (allauth's sign-in and sign-out events, the name change
in portal.account_services)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal import account_return
from portal.account_selectors import account_summary_get
from portal.account_services import account_name_change
from portal.forms import AccountNameForm
from portal.mfa import mfa_is_enrolled


@login_required
@require_GET
def account_overview(request: HttpRequest) -> HttpResponse:
    summary = account_summary_get(user=request.user)
    return render(
        request,
        "portal/account.html",
        {
            "summary": summary,
            "sessions": summary.sessions,
            "session_count": len(summary.sessions),
            "mfa_enrolled": mfa_is_enrolled(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_name(request: HttpRequest) -> HttpResponse:
    form = AccountNameForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        account_name_change(user=request.user, full_name=form.cleaned_data["full_name"])
        messages.success(request, _("Your name has been changed."))
        return redirect("account_overview")
    return render(request, "portal/account_name.html", {"form": form})


@login_required
@require_GET
def account_continue(request: HttpRequest) -> HttpResponse:
    """On to the page the person was going to before they signed up (an invitation, say), once
    two-factor enrolment no longer stands in the way."""
    target = account_return.return_to_peek(request)
    account_return.return_to_forget(request)
    return redirect(target or "dashboard")
