"""The scopes an API client may hold: each opens a part of the API (see api.permissions.HasScope).

Reading a claim (`claims:read`) includes its answers, timeline, messages and information requests;
documents' metadata and downloads need `documents:read`; every change to a claim needs
`claims:write` (which the access doors also check, through the service user's permission);
registering webhook endpoints needs `webhooks:manage`.
"""

CLAIMS_READ = "claims:read"
DOCUMENTS_READ = "documents:read"
CLAIMS_WRITE = "claims:write"
WEBHOOKS_MANAGE = "webhooks:manage"

SCOPES = [CLAIMS_READ, DOCUMENTS_READ, CLAIMS_WRITE, WEBHOOKS_MANAGE]

#: The permission (on portal.User) the service user holds while its client may write.
WRITE_PERMISSION = "portal.change_claims_for_insurer"
