"""OpenAPI links (3.1, section 4.8.20) added to the generated schema: from the claims list to a
claim, from a claim to each of its parts and changes (passing its ETag as If-Match); and from a
registered webhook endpoint to what may be done with it.

A change of a claim links nowhere: its answer carries the claim's new ETag, and a link from it
would make schemathesis start scenarios with changes of random claims (an operation with links
out is a place to start), which only meet 404s.

drf-spectacular has no way to write links on a response, so a postprocessing hook
(SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds them by operationId. A client's generator can
follow them, and schemathesis's stateful tests chain real calls along them
(tests/api/test_schema.py). A link whose operation is missing fails the schema's build, so a
renamed operation cannot leave a dangling link.
"""

from dataclasses import dataclass, field

CLAIM_ID = "$response.body#/id"
ETAG = "$response.header.ETag"


@dataclass(frozen=True)
class Link:
    source: str
    status: str
    name: str
    target: str
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""


#: A claim's parts, read with its id alone.
CLAIM_READS = {
    "GetTimeline": "v1_claims_timeline_list",
    "GetDocuments": "v1_claims_documents_list",
    "GetMessages": "v1_claims_messages_list",
    "GetInformationRequests": "v1_claims_information_requests_list",
    "GetNotes": "v1_claims_notes_list",
    "GetOffers": "v1_claims_offers_list",
    "GetReserves": "v1_claims_reserves_list",
    "GetPayments": "v1_claims_payments_list",
}
#: Additions that change nothing the ETag covers: the id and an Idempotency-Key.
CLAIM_ADDITIONS = {
    "SendMessage": ("v1_claims_messages_create", "201"),
    "AddNote": ("v1_claims_notes_create", "201"),
}
#: Changes of the claim: the id, and the claim's ETag as If-Match; each answers the new ETag.
CLAIM_CHANGES = {
    "RequestInformation": ("v1_claims_information_requests_create", "201"),
    "Assign": ("v1_claims_assignment_create", "200"),
    "Acknowledge": ("v1_claims_acknowledge_create", "200"),
    "Deny": ("v1_claims_deny_create", "200"),
    "Close": ("v1_claims_close_create", "200"),
    "Reopen": ("v1_claims_reopen_create", "200"),
    "MakeOffer": ("v1_claims_offers_create", "201"),
    "Settle": ("v1_claims_settle_create", "201"),
    "SetReserve": ("v1_claims_reserves_create", "201"),
    "RecordPayment": ("v1_claims_payments_create", "201"),
}
#: What may be done with a webhook endpoint, by its id.
ENDPOINT_ACTIONS = {
    "GetEndpoint": "v1_webhooks_endpoints_retrieve",
    "DeleteEndpoint": "v1_webhooks_endpoints_destroy",
    "GetDeliveries": "v1_webhooks_endpoints_deliveries_list",
    "PingEndpoint": "v1_webhooks_endpoints_ping_create",
    "RotateSecret": "v1_webhooks_endpoints_rotate_secret_create",
    "EnableEndpoint": "v1_webhooks_endpoints_enable_create",
}
CHANGE_ENDPOINT = "v1_webhooks_endpoints_partial_update"
#: Answers that carry an ETag header (for the If-Match of the next change).
WITH_ETAG = {
    ("v1_claims_retrieve", "200"),
    *((operation, status) for operation, status in CLAIM_CHANGES.values()),
    ("v1_webhooks_endpoints_create", "201"),
    ("v1_webhooks_endpoints_retrieve", "200"),
    (CHANGE_ENDPOINT, "200"),
    ("v1_webhooks_endpoints_enable_create", "200"),
}


def _links() -> list[Link]:
    links = [
        Link(
            "v1_claims_list",
            "200",
            "GetFirstClaim",
            "v1_claims_retrieve",
            {"path.id": "$response.body#/results/0/id"},
            "The first claim of the page.",
        )
    ]
    for name, target in CLAIM_READS.items():
        links.append(Link("v1_claims_retrieve", "200", name, target, {"path.id": CLAIM_ID}))
    for name, (target, _status) in CLAIM_ADDITIONS.items():
        links.append(Link("v1_claims_retrieve", "200", name, target, {"path.id": CLAIM_ID}))
    for name, (target, _status) in CLAIM_CHANGES.items():
        links.append(
            Link(
                "v1_claims_retrieve",
                "200",
                name,
                target,
                {"path.id": CLAIM_ID, "header.If-Match": ETAG},
                "With the claim's ETag as If-Match.",
            )
        )
    for name, operation in (
        ("GetFirstDocument", "v1_claims_document"),
        ("DownloadFirstDocument", "v1_claims_document_download"),
    ):
        links.append(
            Link(
                "v1_claims_documents_list",
                "200",
                name,
                operation,
                {"path.id": "$request.path.id", "path.document_id": "$response.body#/0/id"},
            )
        )
    endpoint_sources = [
        ("v1_webhooks_endpoints_create", "201", "$response.body#/id"),
        ("v1_webhooks_endpoints_list", "200", "$response.body#/0/id"),
        ("v1_webhooks_endpoints_retrieve", "200", "$response.body#/id"),
        (CHANGE_ENDPOINT, "200", "$response.body#/id"),
    ]
    for source, status, endpoint_id in endpoint_sources:
        for name, target in ENDPOINT_ACTIONS.items():
            if target != source:
                links.append(Link(source, status, name, target, {"path.id": endpoint_id}))
        if source != "v1_webhooks_endpoints_list":  # a list answer has no ETag of one endpoint
            links.append(
                Link(
                    source,
                    status,
                    "ChangeEndpoint",
                    CHANGE_ENDPOINT,
                    {"path.id": endpoint_id, "header.If-Match": ETAG},
                    "With the endpoint's ETag as If-Match.",
                )
            )
    for name, target in (
        ("GetDelivery", "v1_webhooks_deliveries_retrieve"),
        ("ResendDelivery", "v1_webhooks_deliveries_resend_create"),
    ):
        links.append(
            Link(
                "v1_webhooks_endpoints_deliveries_list",
                "200",
                name,
                target,
                {"path.id": "$response.body#/results/0/id"},
            )
        )
    return links


LINKS = _links()

ETAG_HEADER = {
    "description": "The object's weak ETag: send it as If-Match with a change.",
    "required": True,
    "schema": {"type": "string"},
}


def links_add(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add LINKS and the ETag headers to the schema."""
    operations = {
        operation["operationId"]: operation
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for link in LINKS:
        if link.source not in operations or link.target not in operations:
            raise LookupError(f"Link {link.name}: no operation {link.source} or {link.target}.")
        response = operations[link.source]["responses"][link.status]
        definition = {"operationId": link.target, "parameters": dict(link.parameters)}
        if link.description:
            definition["description"] = link.description
        response.setdefault("links", {})[link.name] = definition
    for operation_id, status in WITH_ETAG:
        response = operations[operation_id]["responses"][status]
        response.setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)
    return result
