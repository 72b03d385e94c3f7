"""Reads of contacts: live ones, by email, the list's page and tab counts, one contact's page, search documents."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, QuerySet, Value
from django.db.models.functions import Lower, Trim

from crm_core.pagination import Cursor, KeysetPage, Ordering, RowCount, count_rows_split, keyset_page
from customers.models import (
    ConsentChannel,
    Contact,
    EmailAlias,
    Label,
    PhoneNumber,
    Stage,
    SuggestionStatus,
)
from customers.search import search_document
from customers.selectors.consent import CONSENT_RECORDS_SHOWN


def contacts_live() -> QuerySet[Contact]:
    """Return contacts that are not in the trash."""
    return Contact.objects.live()


def contact_live_by_email(*, email: str) -> Contact | None:
    """Return the live contact with this email as its own or as an alias, ignoring case and surrounding spaces.

    The database normalises the input with the same expression it uses for the stored columns, so
    Python and the database can never disagree about which emails are the same.
    """
    key = Lower(Trim(Value(email)))
    return (
        contacts_live().filter(email_normalized=key).first()
        or contacts_live().filter(aliases__email_normalized=key).first()
    )


def contact_live_by_email_for_update(*, email: str) -> Contact | None:
    """Return the live contact with this email (its own or an alias), its row locked; in a transaction.

    Its own email is asked first and the aliases after, each in a statement of its own: a merge that
    removes the contact and gives its email to the survivor as an alias commits both at once, so a
    lookup that waited on the merged contact's lock finds it gone and then finds the alias.
    """
    key = Lower(Trim(Value(email)))
    locked = contacts_live().select_for_update(of=("self",))
    return locked.filter(email_normalized=key).first() or locked.filter(aliases__email_normalized=key).first()


def alias_owners(*, keys: Iterable[str]) -> dict[str, int]:
    """Return the live contact each of these normalised emails is an alias of, by email.

    For lookups of many emails at once; ask it after the contacts' own emails (contact_live_by_email_for_update).
    """
    return dict(
        EmailAlias.objects.filter(email_normalized__in=list(keys), contact__deleted_at__isnull=True).values_list(
            "email_normalized", "contact_id"
        )
    )


def contact_trashed_by_email(*, email: str) -> Contact | None:
    """Return the most recently trashed contact with this email as its own or an alias, ignoring case and spaces."""
    key = Lower(Trim(Value(email)))
    trashed = Contact.objects.filter(deleted_at__isnull=False).order_by("-deleted_at", "-pk")
    return trashed.filter(email_normalized=key).first() or trashed.filter(aliases__email_normalized=key).first()


def contact_stage_counts(*, contacts: QuerySet[Contact], shown: Sequence[Contact] | None = None) -> dict[str, RowCount]:
    """Return how many of these contacts there are in all and per stage: exact when cheap, else estimated.

    `shown`: every contact that matches, when the list's first page of the All tab already holds them all;
    then nothing is asked of the database.
    """
    if shown is not None:
        stages = Counter(contact.stage for contact in shown)
        return {"all": RowCount(len(shown), exact=True)} | {
            stage: RowCount(stages[stage], exact=True) for stage in (Stage.CUSTOMER, Stage.LEAD)
        }
    return count_rows_split(contacts, field="stage", values=[Stage.CUSTOMER, Stage.LEAD])


def contact_list_page(
    *,
    contacts: QuerySet[Contact],
    ordering: Ordering,
    size: int,
    labels: Sequence[Label],
    cursor: Cursor | None = None,
    last: bool = False,
) -> KeysetPage:
    """Return one page of contacts with what the list shows, in a fixed number of queries.

    Each row gets `first_phone` (E.164 or ""), `label_list` (from `labels`, every label, in its order)
    and `company_names`. Three plain value queries rather than prefetch_related: at fifty rows,
    building phone, label and company objects with their related managers took three times as long as
    the queries themselves (22 ms against 5.5 ms for the page's own query, PostgreSQL, 1M contacts).
    """
    page = keyset_page(contacts, ordering=ordering, size=size, cursor=cursor, last=last)
    ids = [contact.pk for contact in page.rows]
    if not ids:
        return page
    first_phone: dict[int, str] = {}
    numbers = PhoneNumber.objects.filter(contact_id__in=ids).order_by("contact_id", "position", "id")
    for contact_id, number in numbers.values_list("contact_id", "number"):
        first_phone.setdefault(contact_id, number)
    position = {label.pk: index for index, label in enumerate(labels)}
    label_ids: dict[int, list[int]] = defaultdict(list)
    chosen = Contact.labels.through.objects.filter(contact_id__in=ids).values_list("contact_id", "label_id")
    for contact_id, label_id in chosen:
        # A label made after `labels` was read shows from the next request on.
        if label_id in position:
            label_ids[contact_id].append(label_id)
    company_names: dict[int, list[str]] = defaultdict(list)
    memberships = Contact.companies.through.objects.filter(contact_id__in=ids).order_by(
        Lower("company__name"), "company_id"
    )
    for contact_id, name in memberships.values_list("contact_id", "company__name"):
        company_names[contact_id].append(name)
    for contact in page.rows:
        contact.first_phone = first_phone.get(contact.pk, "")
        contact.label_list = [labels[position[pk]] for pk in sorted(label_ids[contact.pk], key=position.__getitem__)]
        contact.company_names = company_names[contact.pk]
    return page


def contact_detail(*, pk: int) -> Contact:
    """Return one live contact with its phones, pending suggestions and latest email consent.

    Its labels come with those it lacks from selectors.labels_on_and_off, one query for the page's two uses.
    Each set is read on its own rather than through prefetch_related, whose machinery cost more than the
    three reads (4.2 ms against 2.7 ms for a whale at 1M contacts); through the contact's related managers,
    so every row knows its contact without a query.
    """
    contact = contacts_live().get(pk=pk)
    contact.phone_list = list(contact.phones.order_by("position", "id"))
    contact.pending_suggestions = list(
        contact.suggested_updates.filter(status=SuggestionStatus.PENDING).order_by("created_at", "id")
    )
    contact.consent_list = list(
        contact.consent_records.filter(channel=ConsentChannel.EMAIL)
        .select_related("actor")
        .order_by("-given_at", "-id")[:CONSENT_RECORDS_SHOWN]
    )
    return contact


def contact_with_phones(*, pk: int) -> Contact:
    """Return one live contact with its phones in order and its labels, for the edit form."""
    return (
        contacts_live()
        .prefetch_related(
            Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
            "labels",
        )
        .get(pk=pk)
    )


def search_documents_by_contact(*, contact_ids: Iterable[int]) -> dict[int, str]:
    """Return what each contact's search document should hold, from its name, emails, phones and companies."""
    ids = list(contact_ids)
    phones: dict[int, list[str]] = defaultdict(list)
    for contact_id, number in (
        PhoneNumber.objects.filter(contact__in=ids).order_by("position", "id").values_list("contact_id", "number")
    ):
        phones[contact_id].append(number)
    aliases: dict[int, list[str]] = defaultdict(list)
    for contact_id, email in EmailAlias.objects.filter(contact__in=ids).values_list("contact_id", "email"):
        aliases[contact_id].append(email)
    companies: dict[int, list[str]] = defaultdict(list)
    for contact_id, name in (
        Contact.objects.filter(pk__in=ids, companies__isnull=False)
        .order_by("companies__name")
        .values_list("pk", "companies__name")
    ):
        companies[contact_id].append(name)
    return {
        pk: search_document(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phones=phones[pk],
            company_names=companies[pk],
            aliases=aliases[pk],
        )
        for pk, first_name, last_name, email in Contact.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", "email"
        )
    }
