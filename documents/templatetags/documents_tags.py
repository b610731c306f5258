"""Template tags that let pages of the apps below documents (the patient's case page) show a
claim's documents without importing documents: the page loads the tag, documents fills it in."""

from django import template

from documents.views import documents_section_context

register = template.Library()


@register.inclusion_tag("documents/claim_section.html", takes_context=True)
def claim_documents(context: template.Context, claim) -> dict:
    """The claim's Documents section for the request's user. Precondition: that user may see
    `claim` (the page has already checked it)."""
    return {"claim": claim, **documents_section_context(user=context["request"].user, claim=claim)}
