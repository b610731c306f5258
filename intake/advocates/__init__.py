"""Advocates' authorities, a part of intake with its own home: a patient invites an advocate,
who accepts and then acts on the claim within the scopes granted; a verified advocate files a
claim on a patient's behalf.

- services.py: the writes (invite, accept, change, end, file on behalf, the insurer's decision
  on the authority form);
- views.py and forms.py: the advocates' pages and the patient's list of authorities;
- invitations.py: the signed links of the emails about advocates;
- ratelimits.py: how often one person may send those emails.

The Authority model, its migrations and who may see authorities (intake/access.py) stay in
intake beside the claim they cover.
"""
