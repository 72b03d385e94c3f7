"""The merge pages: choosing the other contact, the preview, the merge by its form, undo, and what they refuse."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, EmailAlias, Stage
from merges.models import Merge
from tests.factories import ContactFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

PREVIEW = reverse("merges:preview")


@pytest.fixture
def pair():
    work = ContactFactory(first_name="Ann", last_name="Lee", email="ann@work.example")
    home = ContactFactory(first_name="Annie", last_name="Lee", email="ann@home.example", stage=Stage.CUSTOMER)
    OrderFactory(contact=home)
    return work, home


def _posted(response, **changes) -> dict:
    form = response.context["form"]
    data = {"contact": form.survivor.pk, "other": form.merged.pk, "survivor": form.survivor.pk}
    data |= {name: form[name].value() for name in form.fields}
    return data | changes


def test_the_preview_shows_both_sides_and_what_moves(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    assert response.status_code == 200
    page = response.content.decode()
    # The customer is kept by default; the lead is merged into it.
    assert response.context["survivor"] == home
    assert "Merged in and removed: Ann Lee" in page
    assert "What moves to Annie Lee" in page
    assert "0 orders, 0 tickets, 0 notes and activity entries, 0 consent records, 0 suggested updates." in page
    assert "Keep Ann Lee instead" in page


def test_merging_through_the_form_keeps_the_chosen_name_and_the_email_as_alias(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    response = manager_client.post(PREVIEW, _posted(response, name="merged"))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[home.pk])
    survivor = Contact.objects.get(pk=home.pk)
    assert survivor.first_name == "Ann"
    assert list(EmailAlias.objects.values_list("email", flat=True)) == ["ann@work.example"]
    page = manager_client.get(response["Location"]).content.decode()
    assert "Merged ann@work.example" not in page
    assert "Merged Ann Lee &lt;ann@work.example&gt; into this contact." in page
    assert "Undo merge" in page
    assert "ann@work.example" in page


def test_the_old_page_of_a_merged_contact_leads_to_the_survivor(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    manager_client.post(PREVIEW, _posted(response))
    response = manager_client.get(reverse("customers:detail", args=[work.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[home.pk])


def test_undo_from_the_contact_page(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    manager_client.post(PREVIEW, _posted(response))
    merge = Merge.objects.get()
    response = manager_client.post(reverse("merges:undo", args=[merge.pk]), follow=True)
    assert Contact.objects.filter(pk=work.pk).exists()
    assert "Merge undone: Ann Lee &lt;ann@work.example&gt; is a contact of its own again." in response.content.decode()
    response = manager_client.post(reverse("merges:undo", args=[merge.pk]), follow=True)
    assert "can no longer be undone" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"contact": "1", "other": "1"}, "cannot be merged with itself"),
        ({"contact": "abc", "other": "2"}, "no longer exists"),
        ({"contact": "99999999999999999999999", "other": "2"}, "no longer exists"),
        ({"contact": "999999", "other": "2"}, "no longer exists"),
    ],
)
def test_tampered_ids_get_a_clear_message(manager_client, pair, params, message):
    work, home = pair
    params = {key: {"1": str(work.pk), "2": str(home.pk)}.get(value, value) for key, value in params.items()}
    response = manager_client.get(PREVIEW, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    response = manager_client.post(PREVIEW, params)
    assert response.status_code == 400
    assert Contact.objects.count() == 2


def test_a_trashed_contact_cannot_be_merged(manager_client, pair):
    work, home = pair
    Contact.objects.filter(pk=home.pk).update(deleted_at=timezone.now())
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    assert response.status_code == 400
    assert "is in the Trash" in response.content.decode()


def test_a_merge_posted_after_a_change_shows_the_preview_again(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    data = _posted(response, name="merged")
    Contact.objects.filter(pk=work.pk).update(first_name="Anna", updated_at=timezone.now())
    response = manager_client.post(PREVIEW, data)
    assert response.status_code == 400
    assert "was changed while you were looking" in response.content.decode()
    assert "Anna Lee" in response.content.decode()
    # The second try, from the page as shown again, goes through.
    response = manager_client.post(PREVIEW, _posted(response))
    assert response.status_code == 302
    assert Contact.objects.count() == 1


def test_a_second_post_of_the_same_merge_says_it_is_done_already(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    data = _posted(response)
    manager_client.post(PREVIEW, data)
    response = manager_client.post(PREVIEW, data)
    assert response.status_code == 400
    assert "no longer exists" in response.content.decode()
    assert Contact.objects.count() == 1


def test_merge_with_finds_the_other_contact(manager_client, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "q": "ann@home"})
    assert response.status_code == 200
    assert list(response.context["results"]) == [home]


def test_staff_and_viewers_cannot_merge(client, pair):
    work, home = pair
    for role in ("Viewer", "Staff"):
        client.force_login(UserFactory(username=role.lower(), role=role))
        assert client.get(PREVIEW, {"contact": work.pk, "other": home.pk}).status_code == 403
        assert client.post(PREVIEW, {"contact": work.pk, "other": home.pk}).status_code == 403
    assert Contact.objects.count() == 2


def test_aliases_can_be_removed_or_made_primary(staff_client, pair):
    _, home = pair
    alias = EmailAlias.objects.create(contact=home, email="ann@old.example")
    page = staff_client.get(reverse("customers:detail", args=[home.pk])).content.decode()
    assert "ann@old.example" in page
    staff_client.post(reverse("customers:alias_make_primary", args=[home.pk, alias.pk]))
    home.refresh_from_db()
    assert home.email == "ann@old.example"
    assert list(home.aliases.values_list("email", flat=True)) == ["ann@home.example"]
    staff_client.post(reverse("customers:alias_remove", args=[home.pk, alias.pk]))
    assert not EmailAlias.objects.exists()
    # Removed, the address is free for a new contact.
    response = staff_client.post(
        reverse("customers:create"), {"email": "ann@home.example", "first_name": "Other", "version": ""}
    )
    assert response.status_code in (200, 302)


def test_the_add_form_refuses_an_alias_with_a_link_to_its_contact(staff_client, pair):
    _, home = pair
    EmailAlias.objects.create(contact=home, email="ann@old.example")
    response = staff_client.post(reverse("customers:create"), {"email": "ANN@old.example", "first_name": "X"})
    assert response.status_code == 200
    assert "A contact with this email already exists" in response.content.decode()
    assert Contact.objects.count() == 2


def test_the_contact_page_hints_at_a_stored_possible_duplicate(manager_client, pair):
    from merges.finder import pairs_find
    from tests.factories import PhoneNumberFactory

    work, home = pair
    for contact in (work, home):
        PhoneNumberFactory(contact=contact, number="+447700900555")
    pairs_find()
    page = manager_client.get(reverse("customers:detail", args=[work.pk])).content.decode()
    assert "Possible duplicate:" in page
    assert "Same phone number" in page
    assert f"{PREVIEW}?contact={work.pk}&amp;other={home.pk}" in page
    # Merge with… lists the live rules' findings above the search.
    page = manager_client.get(PREVIEW, {"contact": work.pk}).content.decode()
    assert "Possible duplicates of Ann Lee" in page


def test_a_viewer_can_neither_undo_a_merge_nor_change_aliases(client, manager_client, viewer, pair):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    manager_client.post(PREVIEW, _posted(response))
    merge, alias = Merge.objects.get(), EmailAlias.objects.get()
    client.force_login(viewer)
    assert client.post(reverse("merges:undo", args=[merge.pk])).status_code == 403
    for name in ("customers:alias_remove", "customers:alias_make_primary"):
        assert client.post(reverse(name, args=[home.pk, alias.pk])).status_code == 403
    assert (Contact.objects.count(), EmailAlias.objects.count()) == (1, 1)
    # A Viewer sees the aliases but no buttons for them.
    page = client.get(reverse("customers:detail", args=[home.pk])).content.decode()
    assert "ann@work.example" in page
    assert "Make primary" not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "<script>alert(1)</script>", "Select a valid choice"),
        ("name", "", "Choose which name to keep"),
        ("survivor_version", "not a moment", "This page is out of date"),
        ("survivor_version", "2026-02-30T10:00:00+00:00", "This page is out of date"),
        ("merged_version", "\x00", "This page is out of date"),
    ],
)
def test_a_tampered_merge_form_is_refused_next_to_the_field_and_changes_nothing(
    manager_client, pair, field, value, message
):
    work, home = pair
    response = manager_client.get(PREVIEW, {"contact": work.pk, "other": home.pk})
    response = manager_client.post(PREVIEW, _posted(response, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Contact.objects.count() == 2
    assert not Merge.objects.exists()
