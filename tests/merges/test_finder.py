"""The duplicate finder: each rule finds its pairs, what must not be suggested is not, and both ways agree."""

import pytest
from django.utils import timezone

from customers.models import Contact
from merges.finder import GROUP_LIMIT, duplicates_of, pairs_find
from merges.models import Dismissal, DuplicatePair, Reason
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db


def _stored() -> dict[tuple[int, int], list[str]]:
    return {(pair.contact_id, pair.other_id): pair.reasons for pair in DuplicatePair.objects.all()}


def _key(one, other) -> tuple[int, int]:
    return tuple(sorted((one.pk, other.pk)))


def test_a_shared_phone_number():
    ann, other = ContactFactory(), ContactFactory()
    PhoneNumberFactory(contact=ann, number="+442071838750")
    PhoneNumberFactory(contact=other, number="+442071838750")
    PhoneNumberFactory(contact=ContactFactory(), number="+442071838751")
    assert pairs_find() == 1
    assert _stored() == {_key(ann, other): [Reason.PHONE]}


def test_the_same_name_at_the_same_company_ignoring_case():
    company = CompanyFactory()
    ann = ContactFactory(first_name="Ann", last_name="Lee")
    other = ContactFactory(first_name="ann", last_name="LEE")
    MembershipFactory(contact=ann, company=company)
    MembershipFactory(contact=other, company=company)
    assert pairs_find() == 1
    assert _stored() == {_key(ann, other): [Reason.NAME_COMPANY]}


def test_the_same_name_and_an_address_that_differs_by_dots_or_a_tag():
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@gmail.com")
    other = ContactFactory(first_name="Ann", last_name="Lee", email="annlee+shop@gmail.com")
    # Outlook keeps dots: these two are different mailboxes.
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@outlook.com")
    ContactFactory(first_name="Bob", last_name="Ray", email="bobray@outlook.com")
    assert pairs_find() == 1
    assert _stored() == {_key(ann, other): [Reason.NAME_EMAIL]}


def test_the_same_local_part_at_another_domain():
    ann = ContactFactory(email="ann.lee@one.example")
    other = ContactFactory(email="Ann.Lee@other.example")
    assert pairs_find() == 1
    assert _stored() == {_key(ann, other): [Reason.EMAIL_LOCAL]}


@pytest.mark.parametrize(
    "build",
    [
        pytest.param("same_name_other_company", id="same name, different company"),
        pytest.param("other_names_same_company", id="different names, same company"),
        pytest.param("generic_local", id="a role address like info@"),
        pytest.param("short_local", id="a local part under 3 characters"),
        pytest.param("empty_names", id="both names empty at the same company"),
        pytest.param("trashed", id="one of them in the Trash"),
        pytest.param("dismissed", id="a dismissed pair"),
    ],
)
def test_pairs_that_are_not_suggested(build):
    company = CompanyFactory()
    if build == "same_name_other_company":
        MembershipFactory(contact=ContactFactory(first_name="Ann", last_name="Lee"), company=company)
        MembershipFactory(contact=ContactFactory(first_name="Ann", last_name="Lee"), company=CompanyFactory())
    elif build == "other_names_same_company":
        MembershipFactory(contact=ContactFactory(first_name="Ann", last_name="Lee"), company=company)
        MembershipFactory(contact=ContactFactory(first_name="Bob", last_name="Lee"), company=company)
    elif build == "generic_local":
        ContactFactory(email="info@one.example")
        ContactFactory(email="info@other.example")
    elif build == "short_local":
        ContactFactory(email="jo@one.example")
        ContactFactory(email="jo@other.example")
    elif build == "empty_names":
        MembershipFactory(contact=ContactFactory(first_name="", last_name=""), company=company)
        MembershipFactory(contact=ContactFactory(first_name="", last_name=""), company=company)
    elif build == "trashed":
        ContactFactory(email="ann.lee@one.example")
        ContactFactory(email="ann.lee@other.example", deleted_at=timezone.now())
    else:
        one, two = ContactFactory(email="ann.lee@one.example"), ContactFactory(email="ann.lee@other.example")
        Dismissal.objects.create(contact_id=min(one.pk, two.pk), other_id=max(one.pk, two.pk))
        assert duplicates_of(contact=one) == []
    assert pairs_find() == 0
    assert not DuplicatePair.objects.exists()


def test_a_group_over_the_limit_is_too_common_to_suggest():
    crowd = [ContactFactory() for _ in range(GROUP_LIMIT + 1)]
    for contact in crowd:
        PhoneNumberFactory(contact=contact, number="+442071838750")
    assert pairs_find() == 0
    assert duplicates_of(contact=crowd[0]) == []
    # At the limit the group is still a few people, each pair suggested.
    PhoneNumberFactory._meta.model.objects.filter(contact=crowd[-1]).delete()
    assert pairs_find() == GROUP_LIMIT * (GROUP_LIMIT - 1) // 2


def test_a_pair_found_by_several_rules_gets_every_reason():
    company = CompanyFactory()
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@gmail.com")
    other = ContactFactory(first_name="Ann", last_name="Lee", email="annlee@gmail.com")
    for contact in (ann, other):
        PhoneNumberFactory(contact=contact, number="+442071838750")
        MembershipFactory(contact=contact, company=company)
    assert pairs_find() == 1
    assert _stored() == {_key(ann, other): [Reason.PHONE, Reason.NAME_COMPANY, Reason.NAME_EMAIL]}
    assert duplicates_of(contact=ann) == [(other, [Reason.PHONE, Reason.NAME_COMPANY, Reason.NAME_EMAIL])]


def test_duplicates_of_one_contact_are_its_stored_pairs(django_assert_num_queries):
    company = CompanyFactory()
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@gmail.com")
    by_phone, by_company = ContactFactory(), ContactFactory(first_name="ANN", last_name="lee")
    by_email, by_local = (
        ContactFactory(first_name="Ann", last_name="Lee", email="a.nnlee@gmail.com"),
        ContactFactory(email="ann.lee@elsewhere.example"),
    )
    PhoneNumberFactory(contact=ann, number="+442071838750")
    PhoneNumberFactory(contact=ann, number="+442071838751")
    PhoneNumberFactory(contact=by_phone, number="+442071838751")
    MembershipFactory(contact=ann, company=company)
    MembershipFactory(contact=by_company, company=company)
    unrelated = ContactFactory(first_name="Bob", last_name="Ray")
    PhoneNumberFactory(contact=unrelated, number="+442071838799")
    PhoneNumberFactory(contact=ContactFactory(), number="+442071838799")
    pairs_find()
    stored = {
        (pair.other_id if pair.contact_id == ann.pk else pair.contact_id): pair.reasons
        for pair in DuplicatePair.objects.all()
        if ann.pk in (pair.contact_id, pair.other_id)
    }
    with django_assert_num_queries(2):
        live = duplicates_of(contact=ann)
    assert {other.pk: reasons for other, reasons in live} == stored
    assert set(stored) == {by_phone.pk, by_company.pk, by_email.pk, by_local.pk}
    assert dict(live)[by_local] == [Reason.EMAIL_LOCAL]
    loner = Contact.objects.get(pk=ContactFactory(email="nobody.alike@example.org", first_name="Zed").pk)
    with django_assert_num_queries(1):
        assert duplicates_of(contact=loner) == []


def test_duplicates_of_shows_at_most_five_most_reasons_first():
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@gmail.com")
    twin = ContactFactory(first_name="Ann", last_name="Lee", email="annlee@gmail.com")
    PhoneNumberFactory(contact=ann, number="+442071838750")
    PhoneNumberFactory(contact=twin, number="+442071838750")
    for number in range(5):
        PhoneNumberFactory(contact=ann, number=f"+44207183880{number}")
        PhoneNumberFactory(contact=ContactFactory(), number=f"+44207183880{number}")
    shown = duplicates_of(contact=ann)
    assert len(shown) == 5
    assert shown[0] == (twin, [Reason.PHONE, Reason.NAME_EMAIL])


def test_pairs_find_replaces_the_table():
    ann, other = ContactFactory(email="ann.lee@one.example"), ContactFactory(email="ann.lee@other.example")
    assert pairs_find() == 1
    first = DuplicatePair.objects.get()
    other.email = "someone@other.example"
    other.save()
    third = ContactFactory(email="ann.lee@third.example")
    steps = []
    assert pairs_find(on_progress=lambda done, total: steps.append((done, total))) == 1
    assert _stored() == {_key(ann, third): [Reason.EMAIL_LOCAL]}
    assert not DuplicatePair.objects.filter(pk=first.pk).exists()
    assert steps == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
