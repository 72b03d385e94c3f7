"""One row of an import read into the values it brings: each cell cleaned by the same fields and rules as the forms.

A value that cannot be used is left out and named in the row's problems, and the rest of the row goes on; only
an email that is missing or not an email makes the whole row an error.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time

import pycountry
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from companies.models import Company, MembershipAccess
from crm_core.forms import country_code_cleaned, email_field, model_text_field, phone_cleaned, text_field
from customers.export import CONSENT_SOURCES, OPT_IN_LEVELS, cell_read
from customers.models import ConsentChannel, ConsentState, Contact, Label, OptInLevel, Stage

DETAILS = ("first_name", "last_name", *Contact.ADDRESS_FIELDS)
NOTE_LIMIT = 10_000
_FIELDS = {
    **{name: model_text_field(name, model=Contact) for name in DETAILS if name != "country"},
    "email": email_field(label="Email", required_message="This row has no email, so it cannot be matched or added."),
    "note": text_field("Note", limit=NOTE_LIMIT, messages_label="A note"),
}
_LABEL = model_text_field("name", model=Label)
_COMPANY = model_text_field("name", model=Company)
YES, NO = {"yes", "y", "true", "1", "subscribed"}, {"no", "n", "false", "0", ""}
STAGES = {
    "lead": Stage.LEAD,
    "customer": Stage.CUSTOMER,
    # HubSpot's lifecycle stages: those who have bought are customers, everyone else a lead.
    "evangelist": Stage.CUSTOMER,
    **dict.fromkeys(("subscriber", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "other"), Stage.LEAD),
}
ACCESS = {
    **{label.lower(): value for value, label in MembershipAccess.choices},
    **{value: value for value in MembershipAccess.values},
}
CONSENT_WORDS = {
    **{label.lower(): value for value, label in ConsentState.choices},
    **{value: value for value in ConsentState.values},
    **dict.fromkeys(YES - {""}, ConsentState.SUBSCRIBED),
    **dict.fromkeys(NO - {""}, ConsentState.NOT_SUBSCRIBED),
}
OPT_IN_WORDS = {
    **{label.lower(): value for value, label in OptInLevel.choices},
    **{value: value for value in OptInLevel.values},
}
# One entry of this app's "Marketing consent history" column (customers.export._Writer.consent_entry).
HISTORY_ENTRY = re.compile(
    r"(?P<at>\S+) (?P<channel>Email|SMS): (?P<state>[^(]+?) \((?P<source>[^,]+), (?P<level>[^)]+)\) ?(?P<how>.*)"
)
CHANNEL_WORDS = {label: value for value, label in ConsentChannel.choices}
COMPANY_ENTRY = re.compile(r"(?P<name>.*?)\s*\((?P<access>[^()]*)\)\s*$")
PHONE_ENTRY = re.compile(r"(?P<number>.*?)\s*\((?P<label>[^()]*)\)\s*$")


@dataclass(frozen=True)
class ConsentEntry:
    channel: str
    state: str
    given_at: str  # ISO 8601; "" for the moment of the import
    opt_in_level: str = OptInLevel.UNKNOWN
    collected_how: str = ""
    # Yes/no columns say only whether the person is subscribed; any state other than subscribed matches "no".
    yes_no: bool = False
    # An entry of this app's consent history column: appended unless already recorded, whatever is current.
    from_history: bool = False


@dataclass
class RowValues:
    email: str = ""
    details: dict[str, str] = field(default_factory=dict)
    phones: list[tuple[str, str]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    companies: list[tuple[str, str]] = field(default_factory=list)
    stage: str = ""
    consents: list[ConsentEntry] = field(default_factory=list)
    note: str = ""
    details_locked: bool | None = None
    problems: list[str] = field(default_factory=list)
    error: str = ""


def _clean(form_field: forms.Field, value: str) -> str:
    """Run a form field's own cleaning and validators on a cell; raise ValidationError as the form would."""
    return form_field.clean(value)


def _message(error: forms.ValidationError) -> str:
    return " ".join(error.messages)


def _split(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(f"[{separators}]", text) if part.strip()]


def _moment(text: str) -> datetime | None:
    """Read a date or a date with time (ISO 8601, as exports write them); None when it is neither."""
    text = text.strip()
    moment = parse_datetime(text.replace(" ", "T", 1)) if text else None
    if moment is None:
        day = parse_date(text[:10]) if len(text) == 10 else None
        if day is None:
            return None
        moment = datetime.combine(day, time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _country(text: str) -> str:
    try:
        return country_code_cleaned(text)
    except forms.ValidationError:
        try:
            return pycountry.countries.lookup(text.strip()).alpha_2
        except LookupError:
            raise forms.ValidationError(
                f"“{text[:60]}” is not a country this app knows; use its two-letter code, like GB"
            ) from None


class _Row:
    """Reads one row's cells by the mapping into RowValues."""

    def __init__(self, values: RowValues) -> None:
        self.values = values

    def problem(self, text: str) -> None:
        self.values.problems.append(text)

    def detail(self, name: str, text: str) -> None:
        label = str(Contact._meta.get_field(name).verbose_name)
        try:
            value = _country(text) if name == "country" else _clean(_FIELDS[name], text)
        except forms.ValidationError as error:
            self.problem(f"{label} not imported: {_message(error)}")
            return
        if value:
            self.values.details[name] = value

    def phone(self, text: str, label: str = "") -> None:
        if not text:
            return
        try:
            number = phone_cleaned(cell_read(text))
        except forms.ValidationError as error:
            self.problem(f"Phone {text[:40]} not imported: {_message(error)}")
            return
        if number not in dict(self.values.phones):
            self.values.phones.append((number, label[:30]))

    def phones(self, text: str) -> None:
        for entry in _split(text, ";"):
            match = PHONE_ENTRY.fullmatch(entry)
            self.phone(*(match["number"], match["label"]) if match else (entry,))

    def labels(self, text: str) -> None:
        for name in _split(text, ",;"):
            try:
                name = _clean(_LABEL, name)
            except forms.ValidationError as error:
                self.problem(f"Label not imported: {_message(error)}")
                continue
            if name.lower() not in {each.lower() for each in self.values.labels}:
                self.values.labels.append(name)

    def company(self, text: str, access: str = MembershipAccess.INHERIT) -> None:
        try:
            name = _clean(_COMPANY, text)
        except forms.ValidationError as error:
            self.problem(f"Company not imported: {_message(error)}")
            return
        if name and name.lower() not in {each.lower() for each, _ in self.values.companies}:
            self.values.companies.append((name, access))

    def companies(self, text: str) -> None:
        for entry in _split(text, ";"):
            match = COMPANY_ENTRY.fullmatch(entry)
            if match and match["access"].lower() in ACCESS:
                self.company(match["name"], ACCESS[match["access"].lower()])
            else:
                self.company(entry)

    def access(self, text: str) -> str:
        if not text:
            return MembershipAccess.INHERIT
        if text.lower() not in ACCESS:
            choices = "; ".join(label for _, label in MembershipAccess.choices)
            self.problem(
                f"Customer Portal permission “{text[:60]}” not known (use one of: {choices}); "
                "the company's own is used."
            )
            return MembershipAccess.INHERIT
        return ACCESS[text.lower()]

    def stage(self, text: str) -> None:
        stage = STAGES.get(text.lower().replace(" ", ""))
        if stage is None:
            self.problem(f"Stage “{text[:60]}” not known; use Lead or Customer.")
        else:
            self.values.stage = stage

    def consent(self, text: str, *, channel: str, when: str = "", level: str = "") -> None:
        state = CONSENT_WORDS.get(text.lower())
        if state is None:
            self.problem(f"Marketing consent “{text[:60]}” not known; use yes, no, Subscribed or Unsubscribed.")
            return
        given_at = ""
        if when:
            moment = _moment(when)
            if moment is None:
                self.problem(f"Consent date “{when[:60]}” is not a date (use 2025-03-01); the import's date is used.")
            else:
                given_at = moment.isoformat()
        opt_in = OPT_IN_WORDS.get(level.lower(), OptInLevel.UNKNOWN)
        if level and level.lower() not in OPT_IN_WORDS:
            self.problem(f"Opt-in level “{level[:60]}” not known; use Single opt-in or Confirmed opt-in.")
        yes_no = text.lower() in YES | NO
        self.values.consents.append(ConsentEntry(channel, state, given_at, opt_in, yes_no=yes_no))

    def history(self, text: str) -> None:
        states = {label: value for value, label in ConsentState.choices}
        for line in text.splitlines():
            match = HISTORY_ENTRY.fullmatch(line.strip())
            moment = _moment(match["at"]) if match else None
            if (
                not match
                or moment is None
                or match["state"] not in states
                or match["level"] not in OPT_IN_LEVELS.values()
            ):
                self.problem(f"Consent history entry not read: {line[:80]}")
                continue
            if match["source"] not in CONSENT_SOURCES.values():
                self.problem(f"Consent history entry not read: {line[:80]}")
                continue
            level = {label: value for value, label in OPT_IN_LEVELS.items()}[match["level"]]
            self.values.consents.append(
                ConsentEntry(
                    CHANNEL_WORDS[match["channel"]],
                    states[match["state"]],
                    moment.isoformat(),
                    level,
                    match["how"],
                    from_history=True,
                )
            )


def row_values(cells: list[str], mapping: dict[int, str]) -> RowValues:
    """Read a row's cells by the mapping {column: field} into the values it brings."""
    values = RowValues()
    row = _Row(values)
    by_field: dict[str, list[str]] = {}
    for index, name in mapping.items():
        if name and index < len(cells):
            by_field.setdefault(name, []).append(cell_read(cells[index]))
    one = {name: texts[0] for name, texts in by_field.items()}
    try:
        values.email = _clean(_FIELDS["email"], one.get("email", "")).strip()
    except forms.ValidationError as error:
        values.error = _message(error)
        return values
    for name in DETAILS:
        if one.get(name):
            row.detail(name, one[name])
    for text in by_field.get("phone", []):
        row.phone(text)
    if one.get("phones"):
        row.phones(one["phones"])
    for text in by_field.get("labels", []):
        row.labels(text)
    if one.get("company"):
        row.company(one["company"], row.access(one.get("portal_access", "")))
    if one.get("companies"):
        row.companies(one["companies"])
    if one.get("stage"):
        row.stage(one["stage"])
    if one.get("consent_history"):
        row.history(one["consent_history"])
    elif one.get("consent"):
        row.consent(
            one["consent"],
            channel=ConsentChannel.EMAIL,
            when=one.get("consent_date", ""),
            level=one.get("opt_in_level", ""),
        )
    if one.get("sms_consent"):
        row.consent(one["sms_consent"], channel=ConsentChannel.SMS)
    if one.get("note"):
        try:
            values.note = _clean(_FIELDS["note"], one["note"])
        except forms.ValidationError as error:
            row.problem(f"Note not imported: {_message(error)}")
    if one.get("details_locked"):
        flag = one["details_locked"].lower()
        if flag in YES | NO:
            values.details_locked = flag in YES
        else:
            row.problem(f"Details locked “{flag[:20]}” not read; use yes or no.")
    return values
