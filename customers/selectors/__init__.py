"""Reads that pages, exports and services share, by feature; each loads what it serves in a fixed number of queries.

The names are gathered here so callers write `module.name` whichever file it lives in.
"""

from customers.selectors.activity import (
    ACTIVITY_PAGE_SIZE,
    ActivityPage,
    activity_cursor_parsed,
    activity_page,
)
from customers.selectors.consent import (
    CONSENT_RECORDS_SHOWN,
    CurrentConsent,
    consent_current_by_contact,
    consent_history,
)
from customers.selectors.contacts import (
    alias_owners,
    contact_detail,
    contact_list_page,
    contact_live_by_email,
    contact_live_by_email_for_update,
    contact_stage_counts,
    contact_trashed_by_email,
    contact_with_phones,
    contacts_live,
    search_documents_by_contact,
)
from customers.selectors.export import (
    EXPORT_BATCH_SIZE,
    EXPORT_FIELDS,
    contacts_for_export,
)
from customers.selectors.labels import (
    label_by_name,
    labels_all,
    labels_named,
    labels_not_on_contact,
    labels_on_and_off,
    labels_with_contact_counts,
)

__all__ = [
    "ACTIVITY_PAGE_SIZE",
    "CONSENT_RECORDS_SHOWN",
    "EXPORT_BATCH_SIZE",
    "EXPORT_FIELDS",
    "ActivityPage",
    "CurrentConsent",
    "activity_cursor_parsed",
    "activity_page",
    "alias_owners",
    "consent_current_by_contact",
    "consent_history",
    "contact_detail",
    "contact_list_page",
    "contact_live_by_email",
    "contact_live_by_email_for_update",
    "contact_stage_counts",
    "contact_trashed_by_email",
    "contact_with_phones",
    "contacts_for_export",
    "contacts_live",
    "label_by_name",
    "labels_all",
    "labels_named",
    "labels_not_on_contact",
    "labels_on_and_off",
    "labels_with_contact_counts",
    "search_documents_by_contact",
]
