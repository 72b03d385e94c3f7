"""Forms for contacts, by feature. They validate and give the messages people read; the services write.

The names are gathered here so callers write `forms.ContactForm` whichever module it lives in.
"""

from customers.forms.consent import (
    CLOCK_CHANGE_MESSAGE,
    DATE_FORMAT_MESSAGE,
    EARLIEST_GIVEN_AT,
    NOTE_MAX_LENGTH,
    ConsentForm,
    LocalDateTimeField,
)
from customers.forms.contact_rows import (
    COMPANIES_PREFIX,
    COMPANY_ROWS,
    CREATE,
    MAX_COMPANIES,
    MAX_PHONES,
    PHONE_ROWS,
    PHONES_PREFIX,
    PICKED,
    PICKED_PK,
    BaseCompanyLinkFormSet,
    BasePhoneFormSet,
    CompanyLinkForm,
    CompanyLinkFormSet,
    PhoneForm,
    PhoneFormSet,
    unknown_company_message,
)
from customers.forms.contacts import (
    KEPT_IMAGE_GONE_MESSAGE,
    STALE_MESSAGE,
    ContactForm,
)
from customers.forms.export import (
    SCOPE_ALL,
    ExportForm,
)
from customers.forms.labels import (
    COLOUR_CHOICES,
    BulkLabelForm,
    ContactLabelAddForm,
    LabelForm,
)
from customers.forms.messaging import (
    MessageForm,
)
from customers.forms.notes import (
    ActivityFilterForm,
    NoteForm,
)
from customers.forms.trash import (
    ContactEraseForm,
)
from customers.forms.website import (
    HONEYPOT,
    MESSAGE_LIMIT,
    NAME_PART_LIMIT,
    WebsiteContactForm,
)

__all__ = [
    "CLOCK_CHANGE_MESSAGE",
    "COLOUR_CHOICES",
    "COMPANIES_PREFIX",
    "COMPANY_ROWS",
    "CREATE",
    "DATE_FORMAT_MESSAGE",
    "EARLIEST_GIVEN_AT",
    "HONEYPOT",
    "KEPT_IMAGE_GONE_MESSAGE",
    "MAX_COMPANIES",
    "MAX_PHONES",
    "MESSAGE_LIMIT",
    "NAME_PART_LIMIT",
    "NOTE_MAX_LENGTH",
    "PHONES_PREFIX",
    "PHONE_ROWS",
    "PICKED",
    "PICKED_PK",
    "SCOPE_ALL",
    "STALE_MESSAGE",
    "ActivityFilterForm",
    "BaseCompanyLinkFormSet",
    "BasePhoneFormSet",
    "BulkLabelForm",
    "CompanyLinkForm",
    "CompanyLinkFormSet",
    "ConsentForm",
    "ContactEraseForm",
    "ContactForm",
    "ContactLabelAddForm",
    "ExportForm",
    "LabelForm",
    "LocalDateTimeField",
    "MessageForm",
    "NoteForm",
    "PhoneForm",
    "PhoneFormSet",
    "WebsiteContactForm",
    "unknown_company_message",
]
