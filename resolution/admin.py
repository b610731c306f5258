"""How claims ended, for administrators to look at: read-only, since offers, settlements,
payments, reserves and reviews change only through the portal's services (which keep the claim's
lifecycle and audit). Bank details are not in the admin at all: their one door is the adjuster's
audited reveal."""

from django.contrib import admin

from portal.admin import AuditedViewsAdminMixin, ReadOnlyAdminMixin
from resolution.models import Offer, Payment, Reserve, Review, Settlement


class _ReadOnlyAudited(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Offer)
class OfferAdmin(_ReadOnlyAudited):
    list_display = ["claim", "round", "amount", "state", "respond_by", "made_at"]
    list_filter = ["state"]
    list_select_related = ["claim"]
    search_fields = ["claim__reference"]
    fields = [
        "claim",
        "round",
        "amount",
        "state",
        "respond_by",
        "made_by",
        "made_at",
        "answered_at",
    ]


@admin.register(Settlement)
class SettlementAdmin(_ReadOnlyAudited):
    list_display = ["claim", "amount", "agreed_at"]
    list_select_related = ["claim"]
    search_fields = ["claim__reference"]
    fields = ["claim", "offer", "amount", "agreed_by", "agreed_at"]


@admin.register(Payment)
class PaymentAdmin(_ReadOnlyAudited):
    list_display = ["settlement", "amount", "paid_on", "method", "finance_reference"]
    list_filter = ["method"]
    list_select_related = ["settlement__claim"]
    search_fields = ["settlement__claim__reference", "finance_reference"]
    fields = ["settlement", "amount", "paid_on", "method", "finance_reference", "recorded_by"]


@admin.register(Reserve)
class ReserveAdmin(_ReadOnlyAudited):
    list_display = ["claim", "amount", "set_at"]
    list_select_related = ["claim"]
    search_fields = ["claim__reference"]
    fields = ["claim", "amount", "reason", "set_by", "set_at"]


@admin.register(Review)
class ReviewAdmin(_ReadOnlyAudited):
    list_display = ["claim", "decision_status", "reviewer", "decide_by", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["claim", "reviewer"]
    search_fields = ["claim__reference"]
    fields = ["claim", "decision_status", "decided_by", "reviewer", "decide_by", "outcome"]
