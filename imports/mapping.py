"""What a column of an import can be mapped to, and the mappings recognised from known exports' headers."""

from dataclasses import dataclass

IGNORE = ""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # A field several columns may feed (each phone column adds a phone, each labels column adds labels).
    repeatable: bool = False


FIELDS = (
    Field("first_name", "First name"),
    Field("last_name", "Last name"),
    Field("email", "Email"),
    Field("phone", "Phone", repeatable=True),
    Field("phones", "Phones (several, separated by ;)"),
    Field("address_line1", "Address line 1"),
    Field("address_line2", "Address line 2"),
    Field("city", "Town or city"),
    Field("region", "County, state or province"),
    Field("postal_code", "Postcode"),
    Field("country", "Country"),
    Field("labels", "Labels or tags (separated by , or ;)", repeatable=True),
    Field("company", "Company (one name)"),
    Field("companies", "Companies (several, separated by ;)"),
    Field("portal_access", "Customer Portal permission (for the company column)"),
    Field("stage", "Stage (Lead or Customer)"),
    Field("consent", "Email marketing consent"),
    Field("consent_date", "Email marketing consent date"),
    Field("opt_in_level", "Opt-in level"),
    Field("consent_history", "Marketing consent history (this app's export)"),
    Field("sms_consent", "SMS marketing consent"),
    Field("note", "Note"),
    Field("details_locked", "Details locked (yes or no)"),
)
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
FIELD_CHOICES = [(IGNORE, "Don't import"), *((field.name, field.label) for field in FIELDS)]

# Recognised headers, compared in lower case with spaces trimmed. A header that maps to IGNORE is known and
# left out on purpose (a total derived from orders, an id of another system); an unknown one is left out too,
# but the mapping page shows it so the person can choose.
KNOWN_HEADERS = {
    # This app's Full export (customers.export.COLUMN_SETS).
    "contact id": IGNORE,
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "stage": "stage",
    "source": IGNORE,
    "created": IGNORE,
    "address line 1": "address_line1",
    "address line 2": "address_line2",
    "town or city": "city",
    "county, state or province": "region",
    "postcode": "postal_code",
    "country": "country",
    "phones": "phones",
    "labels": "labels",
    "companies": "companies",
    "marketing consent": "consent",
    "marketing consent date": "consent_date",
    "marketing consent history": "consent_history",
    "opt-in level": "opt_in_level",
    "email marketing consent": "consent",
    "email marketing consent date": "consent_date",
    "orders": IGNORE,
    "total spent": IGNORE,
    "last order": IGNORE,
    "details locked": "details_locked",
    # Shopify's customer export and import template (tests/fixtures/shopify-customers-export-header.csv).
    "customer id": IGNORE,
    "accepts email marketing": "consent",
    "accepts marketing": "consent",
    "default address company": "company",
    "company": "company",
    "default address address1": "address_line1",
    "address1": "address_line1",
    "default address address2": "address_line2",
    "address2": "address_line2",
    "default address city": "city",
    "city": "city",
    "default address province code": "region",
    "province code": "region",
    "province": "region",
    "default address country code": "country",
    "country code": "country",
    "default address zip": "postal_code",
    "zip": "postal_code",
    "default address phone": "phone",
    "phone": "phone",
    "accepts sms marketing": "sms_consent",
    "total orders": IGNORE,
    "note": "note",
    "tax exempt": IGNORE,
    "tags": "labels",
    # HubSpot's contact export.
    "record id": IGNORE,
    "phone number": "phone",
    "mobile phone number": "phone",
    "company name": "company",
    "street address": "address_line1",
    "state/region": "region",
    "postal code": "postal_code",
    "country/region": "country",
    "lifecycle stage": "stage",
    "marketing contact status": IGNORE,
    "contact owner": IGNORE,
    "create date": IGNORE,
    "email address": "email",
}


def mapping_guess(header: list[str]) -> dict[int, str]:
    """Map each recognised column to its field; a field taken by an earlier column is left for the person to choose.

    Two columns with the same header (or two that mean the same single field) never both feed it: the first
    does, and the second is left unmapped and named by mapping_problems() if the person maps it too.
    """
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, name in enumerate(header):
        field = KNOWN_HEADERS.get(" ".join(name.lower().split()), IGNORE)
        if field and (field not in taken or FIELDS_BY_NAME[field].repeatable):
            mapping[index] = field
            taken.add(field)
    return mapping


def mapping_problems(mapping: dict[int, str], header: list[str]) -> list[str]:
    """Return what is wrong with a mapping, in words: no email column, or a single field fed by two columns."""
    problems = []
    by_field: dict[str, list[int]] = {}
    for index, field in sorted(mapping.items()):
        if field:
            by_field.setdefault(field, []).append(index)
    if "email" not in by_field:
        problems.append("Choose the column that holds the email: it is how contacts are matched.")
    for field, columns in by_field.items():
        if len(columns) > 1 and not FIELDS_BY_NAME[field].repeatable:
            names = " and ".join(f"column {index + 1} ({header[index] or 'no name'})" for index in columns)
            problems.append(f"{FIELDS_BY_NAME[field].label} is chosen for {names}; choose one.")
    if "portal_access" in by_field and "company" not in by_field:
        problems.append("The Customer Portal permission goes with a company column; choose that column too.")
    for field in ("consent_date", "opt_in_level"):
        if field in by_field and "consent" not in by_field:
            problems.append(
                f"{FIELDS_BY_NAME[field].label} goes with an email marketing consent column; choose it too."
            )
    return problems


def duplicate_headers(header: list[str], mapping: dict[int, str]) -> list[str]:
    """Name the headers that appear more than once, saying which column was chosen for them, if any."""
    seen: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        seen.setdefault(name.lower(), []).append(index)
    messages = []
    for name, columns in seen.items():
        if not name or len(columns) < 2:
            continue
        numbers = ", ".join(str(index + 1) for index in columns)
        called = f"Columns {numbers} are all called “{header[columns[0]]}”"
        if mapping.get(columns[0]):
            messages.append(f"{called}; only column {columns[0] + 1} was chosen for you.")
        else:
            messages.append(f"{called}; choose what each holds.")
    return messages
