"""The duplicate finder: the four rules of what makes two contacts look like one person, run for all or for one.

Each rule is a set of rows (one per contact and key: a phone, a company link, the contact itself) and the
key columns they are grouped by. Both pairs_find (every group, stored in DuplicatePair) and duplicates_of
(the groups one contact is in, computed live) are built from the same rules and the same group query, so
the list page and the contact page can never disagree about what counts as a possible duplicate.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

from django.db import transaction
from django.db.models import Aggregate, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Length, Lower

from companies.models import Membership
from customers.models import Contact, PhoneNumber
from merges.models import Dismissal, DuplicatePair, Reason

# A key shared by more than this many contacts is too common to mean one person (a shop's placeholder phone,
# a family's shared number, "John Smith" at a large company), so its group is skipped rather than flooding
# the list with pairs nobody would merge.
GROUP_LIMIT = 6
# Local parts that name a role or a mailbox, not a person: info@one.example and info@other.example are
# two businesses. Shorter ones ("jo", "a") are too common to mean anything either.
GENERIC_LOCALS = (
    "info",
    "sales",
    "admin",
    "contact",
    "support",
    "hello",
    "office",
    "mail",
    "billing",
    "noreply",
    "no-reply",
    "team",
    "enquiries",
    "orders",
    "accounts",
)
LOCAL_MIN_LENGTH = 3
# The contact page shows at most this many possible duplicates of a contact.
SHOWN_LIMIT = 5
BATCH_SIZE = 1_000


@dataclass(frozen=True)
class Rule:
    reason: Reason
    # The candidate rows, each with `person` (the contact's id) and the key columns, over live contacts only.
    rows: Callable[[], QuerySet]
    key: tuple[str, ...]


def _named(contacts: QuerySet, prefix: str = "") -> QuerySet:
    """Rows whose contact has both names, with `first` and `last` lower-cased by the database.

    Lower-cased in SQL on both sides (never in Python), so the whole run and one contact's check compare
    names the same way on each database.
    """
    return (
        contacts.exclude(**{f"{prefix}first_name": ""})
        .exclude(**{f"{prefix}last_name": ""})
        .annotate(first=Lower(f"{prefix}first_name"), last=Lower(f"{prefix}last_name"))
    )


def _phones() -> QuerySet:
    return PhoneNumber.objects.filter(contact__deleted_at__isnull=True).annotate(person=F("contact_id"))


def _company_names() -> QuerySet:
    links = Membership.objects.filter(contact__deleted_at__isnull=True).annotate(person=F("contact_id"))
    return _named(links, prefix="contact__")


def _canonical_names() -> QuerySet:
    # Two live contacts never share email_normalized (a unique constraint), so a shared canonical address
    # always comes from two different typed addresses: "ann.lee@" and "annlee+shop@" at gmail.com.
    return _named(Contact.objects.live().annotate(person=F("pk")))


def _locals() -> QuerySet:
    # Likewise the same local part of two live contacts is always at two different domains.
    return (
        Contact.objects.live()
        .annotate(person=F("pk"), local_length=Length("email_local"))
        .exclude(email_local__in=GENERIC_LOCALS)
        .filter(local_length__gte=LOCAL_MIN_LENGTH)
    )


RULES = (
    Rule(Reason.PHONE, _phones, ("number",)),
    Rule(Reason.NAME_COMPANY, _company_names, ("company_id", "first", "last")),
    Rule(Reason.NAME_EMAIL, _canonical_names, ("email_canonical", "first", "last")),
    Rule(Reason.EMAIL_LOCAL, _locals, ("email_local",)),
)


# What pairs_find reports as progress: each rule, then storing the pairs.
STEPS = len(RULES) + 1


class _Ids(Aggregate):
    """A group's contact ids as one comma-separated text, so a rule's groups and members are one query."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s((%(expressions)s)::text, ',')"
        )


def _groups(rule: Rule) -> QuerySet:
    """The rule's keys shared by two to GROUP_LIMIT contacts, each with `n` and its contacts' `ids`."""
    return (
        rule.rows()
        .order_by()
        .values(*rule.key)
        .annotate(n=Count("person"), ids=_Ids("person"))
        .filter(n__gt=1, n__lte=GROUP_LIMIT)
    )


def _ordered(one: int, other: int) -> tuple[int, int]:
    return (one, other) if one < other else (other, one)


def _reasons(found: set[str]) -> list[str]:
    # Always in the order the reasons are declared, so a pair reads the same whichever rule found it first.
    return [reason for reason in Reason.values if reason in found]


def pairs_find(*, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every possible duplicate pair and replace the stored ones; return how many there are.

    Each rule's groups are read in one query; the pairs are gathered in memory (groups are small by
    GROUP_LIMIT) and replace the table in one transaction, so the list never shows a half-written set.
    `on_progress(done, total)` is called after each rule and once the pairs are stored.
    """
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    for done, rule in enumerate(RULES, start=1):
        for ids in _groups(rule).values_list("ids", flat=True).iterator():
            members = sorted({int(each) for each in ids.split(",")})
            for pair in combinations(members, 2):
                found[pair].add(rule.reason)
        if on_progress:
            on_progress(done, STEPS)
    dismissed = set(Dismissal.objects.values_list("contact_id", "other_id").iterator())
    pairs = [
        DuplicatePair(contact_id=one, other_id=other, reasons=_reasons(reasons))
        for (one, other), reasons in sorted(found.items())
        if (one, other) not in dismissed
    ]
    with transaction.atomic():
        DuplicatePair.objects.all().delete()
        DuplicatePair.objects.bulk_create(pairs, batch_size=BATCH_SIZE)
    if on_progress:
        on_progress(STEPS, STEPS)
    return len(pairs)


def _own_key(contact: Contact, name: str) -> object:
    # Names lower-cased by the database, as _named does for every row.
    if name in ("first", "last"):
        return Lower(Value(contact.first_name if name == "first" else contact.last_name))
    return getattr(contact, name)


def _others_of(rule: Rule, contact: Contact) -> QuerySet:
    """(person, reason) for every other contact in one of the rule's groups that this contact is in."""
    rows = rule.rows()
    own_row = rows.model is Contact
    # Keys of the contact's own row (its names, its email's parts) are given as values, so the database reads
    # the one group off its index; a subquery of them made it scan (1.3 s at 1M). The keys a contact has
    # several of (its phones, its companies) are a subquery of its rows, each column matched on its own.
    mine, group = {}, {}
    for name in rule.key:
        if own_row or name in ("first", "last"):
            mine[name] = group[name] = _own_key(contact, name)
        else:
            mine[f"{name}__in"] = rows.filter(person=contact.pk).values(name)
            group[name] = OuterRef(name)
    if not own_row and "first" in rule.key:
        # A large company's members are thousands: start from the contact's namesakes (read off the lower-case
        # name index), which are the only members the rule can pair it with (12 s → a few ms at 1M).
        namesakes = _named(Contact.objects.live()).filter(first=mine["first"], last=mine["last"]).values("pk")
        mine["person__in"] = group["person__in"] = namesakes
    in_group = Exists(_groups(rule).filter(**group))
    return (
        rows.filter(**mine)
        .filter(in_group)
        .exclude(person=contact.pk)
        .order_by()
        .values_list("person", Value(rule.reason.value, output_field=CharField()))
    )


def duplicates_of(*, contact: Contact) -> list[tuple[Contact, list[Reason]]]:
    """The live contacts that look like this one now, by the same rules as pairs_find, with their reasons.

    Dismissed pairs and the contact itself are left out; at most SHOWN_LIMIT, those with most reasons
    first. Two queries: the four rules' matches in one UNION, then the contacts.
    """
    if contact.in_trash:
        return []
    branches = [_others_of(rule, contact) for rule in RULES]
    found: dict[int, set[str]] = defaultdict(set)
    for person, reason in branches[0].union(*branches[1:], all=True):
        found[person].add(reason)
    if not found:
        return []
    dismissed = Q(pk__in=Dismissal.objects.filter(contact=contact).values("other")) | Q(
        pk__in=Dismissal.objects.filter(other=contact).values("contact")
    )
    others = Contact.objects.live().filter(pk__in=list(found)).exclude(dismissed)
    ranked = sorted(others, key=lambda other: (-len(found[other.pk]), other.pk))[:SHOWN_LIMIT]
    return [(other, [Reason(reason) for reason in _reasons(found[other.pk])]) for other in ranked]
