"""What a row of an import would do to the address book, decided from its values and the contact as it is now.

Pure: it reads no database. The dry run stores the plan it returns on the row's ImportRow, and the import
applies that plan as it is, so what the person saw is what is written.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from companies.models import Company, CompanyAccess, MembershipAccess, effective_portal_access
from customers.models import ConsentChannel, ConsentState, Contact, Label, Stage
from imports.models import ImportMode, RowAction
from imports.selectors import Existing, consent_key
from imports.values import RowValues

STATES = dict(ConsentState.choices)
CHANNELS = dict(ConsentChannel.choices)
ACCESS_LABELS = dict(MembershipAccess.choices)


@dataclass(frozen=True)
class Options:
    mode: str = ImportMode.ADD
    create_missing: bool = False


@dataclass
class RowPlan:
    action: str
    plan: dict[str, Any] = field(default_factory=dict)
    # What staff read on the results page: [what, old, new].
    changes: list[list[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _label(name: str) -> str:
    text = str(Contact._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y")


def _stored_access(wanted: str, company: Company | None) -> str:
    """Keep "as set in the company page" when the file's permission is what the company gives anyway."""
    if company is not None and wanted != MembershipAccess.INHERIT and wanted == company.default_portal_access:
        return MembershipAccess.INHERIT
    return wanted


def _effective(access: str, company: Company | None) -> str:
    default = company.default_portal_access if company is not None else CompanyAccess.PERSONAL
    return effective_portal_access(membership_access=access, company_default=default)


class _Planner:
    def __init__(
        self,
        values: RowValues,
        existing: Existing | None,
        labels: dict[str, Label],
        companies: dict[str, Company],
        options: Options,
    ) -> None:
        self.values, self.existing, self.options = values, existing, options
        self.labels, self.companies = labels, companies
        self.result = RowPlan(action=RowAction.UNCHANGED, problems=list(values.problems))

    def change(self, what: str, old: str, new: str) -> None:
        self.result.changes.append([what, old, new])

    def known_labels(self) -> list[str]:
        names = []
        have = self.existing.labels if self.existing else set()
        for name in self.values.labels:
            if name.lower() in have:
                continue
            label = self.labels.get(name.lower())
            if label is None and not self.options.create_missing:
                self.result.problems.append(
                    f"Label “{name}” does not exist, so it was not added (the import is set not to create labels)."
                )
                continue
            names.append(label.name if label else name)
            self.change("Label", "", name if label else f"{name} (new label)")
        return names

    def known_companies(self) -> tuple[list[list[str]], list[list[Any]]]:
        added, changed = [], []
        have = self.existing.companies if self.existing else {}
        for name, wanted in self.values.companies:
            company = self.companies.get(name.lower())
            if company is None and not self.options.create_missing:
                self.result.problems.append(
                    f"Company “{name}” does not exist, so it was not linked "
                    "(the import is set not to create companies)."
                )
                continue
            shown = company.name if company else name
            access = _stored_access(wanted, company)
            if name.lower() in have:
                membership_id, stored, effective = have[name.lower()]
                if wanted != MembershipAccess.INHERIT and _effective(access, company) != effective:
                    changed.append([membership_id, access])
                    self.change(f"Customer Portal permission at {shown}", ACCESS_LABELS[stored], ACCESS_LABELS[access])
                continue
            added.append([shown, access])
            self.change("Company", "", f"{shown} ({ACCESS_LABELS[access]})" + ("" if company else " (new company)"))
        return added, changed

    def consents(self) -> list[dict[str, Any]]:
        """The consent records to append: history entries not yet recorded, and a state that differs from the current.

        A record dated before the contact's current one is appended but does not become current (the rule of
        customers.services.consent_record), and the row says so: a file never silently undoes a later unsubscribe.
        """
        entries = []
        current = dict(self.existing.consent) if self.existing else {}
        keys = self.existing.consent_keys if self.existing else set()
        for entry in self.values.consents:
            given = datetime.fromisoformat(entry.given_at) if entry.given_at else None
            what = f"{CHANNELS[entry.channel]} marketing"
            if entry.from_history:
                if given is None or consent_key(entry.channel, entry.state, given) in keys:
                    continue
                self.change(f"{what} history", "", f"{STATES[entry.state]} on {_day(given)}")
            else:
                state, at = current.get(entry.channel, (ConsentState.NOT_SUBSCRIBED, None))
                if state == entry.state or (entry.yes_no and ConsentState.SUBSCRIBED not in (state, entry.state)):
                    continue
                if given is not None and at is not None and given < at:
                    self.result.problems.append(
                        f"{what} stays {STATES[state]}: that was recorded on {_day(at)}, later than the file's "
                        f"{_day(given)}. The file's {STATES[entry.state]} is kept in the history."
                    )
                    self.change(f"{what} history", "", f"{STATES[entry.state]} on {_day(given)}")
                else:
                    # No record yet: nothing to show as the old value.
                    self.change(what, STATES[state] if at is not None else "", STATES[entry.state])
            entries.append(
                {
                    "channel": entry.channel,
                    "state": entry.state,
                    "given_at": entry.given_at,
                    "opt_in_level": entry.opt_in_level,
                    "collected_how": entry.collected_how,
                }
            )
        return entries

    def note(self) -> str:
        note = self.values.note
        if not note or (self.existing and note in self.existing.notes):
            return ""
        self.change("Note", "", note[:80])
        return note

    def create(self) -> RowPlan:
        values = self.values
        for name, value in values.details.items():
            self.change(_label(name), "", value)
        for number, _ in values.phones:
            self.change("Phone", "", number)
        plan = {
            "email": values.email,
            "details": values.details,
            "phones": [list(phone) for phone in values.phones],
            "stage": values.stage or Stage.LEAD,
            "labels": self.known_labels(),
            "companies": self.known_companies()[0],
            "consents": self.consents(),
            "note": self.note(),
            "details_locked": bool(values.details_locked),
        }
        if values.stage:
            self.change("Stage", "", dict(Stage.choices)[values.stage])
        self.result.action, self.result.plan = RowAction.CREATE, plan
        return self.result

    def update(self) -> RowPlan:
        existing, values = self.existing, self.values
        if existing is None:
            raise ValueError("update() plans a row against an existing contact")
        details = {name: value for name, value in values.details.items() if existing.details.get(name) != value}
        new_phones = [[number, label] for number, label in values.phones if number not in existing.phones]
        plan: dict[str, Any] = {"details": {}, "suggest": {}, "phones": [], "suggest_phone": ""}
        if existing.locked:
            plan["suggest"] = details
            plan["suggest_phone"] = new_phones[0][0] if new_phones else ""
            for name, value in details.items():
                self.change(f"{_label(name)} (suggested: details are locked)", existing.details[name], value)
            if new_phones:
                self.change("Phone (suggested: details are locked)", "", new_phones[0][0])
        else:
            plan["details"], plan["phones"] = details, new_phones
            for name, value in details.items():
                self.change(_label(name), existing.details[name], value)
            for number, _ in new_phones:
                self.change("Phone", "", number)
        plan["stage"] = ""
        if values.stage == Stage.CUSTOMER and existing.stage == Stage.LEAD:
            plan["stage"] = Stage.CUSTOMER
            self.change("Stage", "Lead", "Customer")
        elif values.stage == Stage.LEAD and existing.stage == Stage.CUSTOMER:
            self.result.problems.append("Stays a Customer: a stage only moves forward.")
        plan["labels"] = self.known_labels()
        plan["companies"], plan["access"] = self.known_companies()
        plan["consents"] = self.consents()
        plan["note"] = self.note()
        plan["details_locked"] = None
        if values.details_locked is not None and values.details_locked != existing.locked:
            plan["details_locked"] = values.details_locked
            self.change("Details locked", "yes" if existing.locked else "no", "yes" if values.details_locked else "no")
        self.result.plan = plan
        self.result.action = RowAction.UPDATE if self.result.changes else RowAction.UNCHANGED
        return self.result


def row_plan(
    *,
    values: RowValues,
    existing: Existing | None,
    labels: dict[str, Label],
    companies: dict[str, Company],
    options: Options,
) -> RowPlan:
    """Decide what one row does: create, update, leave unchanged, skip or refuse, and exactly what it writes."""
    if values.error:
        return RowPlan(action=RowAction.ERROR, problems=[values.error, *values.problems])
    planner = _Planner(values, existing, labels, companies, options)
    if existing is None:
        return planner.create()
    if options.mode == ImportMode.ADD:
        return RowPlan(
            action=RowAction.SKIP,
            problems=["Already a contact; the import is set to only add new contacts.", *values.problems],
        )
    return planner.update()
