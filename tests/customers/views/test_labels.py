import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Activity, Contact, Label, LabelColour
from tests.factories import ContactFactory, LabelFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>x</script>'
HOSTILE_ESCAPED = "&quot;&gt;&lt;script&gt;x&lt;/script&gt;"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def label_with_contacts(name="VIP", live=2, trashed=0) -> Label:
    label = LabelFactory(name=name)
    for _ in range(live):
        ContactFactory().labels.add(label)
    for _ in range(trashed):
        ContactFactory(deleted_at=timezone.now()).labels.add(label)
    return label


# ---------- The Labels page ----------


def test_the_labels_page_counts_only_contacts_outside_the_trash_and_links_to_them(staff_client):
    vip = label_with_contacts("VIP", live=2, trashed=3)
    LabelFactory(name="Unused", colour=LabelColour.RED)
    response = staff_client.get(reverse("customers:label_list"))
    counts = {label.name: label.contact_count for label in response.context["labels"]}
    assert counts == {"Unused": 0, "VIP": 2}
    html = response.content.decode()
    assert f'href="/contacts/?labels={vip.pk}">2<span class="visually-hidden"> contacts labelled VIP</span>' in html
    assert '<span class="chip chip--red">Unused</span>' in html
    assert "Red" in html


def test_the_labels_page_invites_the_first_label_when_there_are_none(staff_client):
    html = staff_client.get(reverse("customers:label_list")).content.decode()
    assert "Create your first label" in html
    assert f'href="{reverse("customers:label_create")}"' in html


def test_the_sidebar_marks_labels_not_contacts_as_the_current_page(staff_client):
    html = staff_client.get(reverse("customers:label_list")).content.decode()
    assert f'<a href="{reverse("customers:label_list")}" aria-current="page">' in html
    assert f'<a href="{reverse("customers:list")}">' in html


def test_creating_a_label_goes_back_to_the_list_with_a_message(staff_client):
    response = staff_client.post(reverse("customers:label_create"), {"name": " VIP ", "colour": "purple"})
    assert response.url == reverse("customers:label_list")
    label = Label.objects.get()
    assert (label.name, label.colour) == ("VIP", "purple")
    assert messages_of(response) == ["Label VIP created."]


def test_a_duplicate_name_in_another_case_is_a_field_error_keeps_what_was_typed_and_writes_nothing(staff_client):
    LabelFactory(name="VIP", colour=LabelColour.BLUE)
    response = staff_client.post(reverse("customers:label_create"), {"name": "vip", "colour": "green"})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["form"].errors == {"name": ["A label called “VIP” already exists."]}
    assert "<title>Error: Add label" in html
    assert 'value="vip"' in html
    assert 'value="green" required id="id_colour_4" checked' in html
    assert list(Label.objects.values_list("name", "colour")) == [("VIP", "blue")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "colour": "grey"}, "name", "Enter a name for the label"),
        ({"name": "   ", "colour": "grey"}, "name", "Enter a name for the label"),
        ({"name": "Nul\x00byte", "colour": "grey"}, "name", "Name contains a hidden control character; retype it"),
        ({"name": "x" * 10_000, "colour": "grey"}, "name", "Name must be 50 characters or fewer (it has 10,000)"),
        ({"name": "Fine", "colour": "tartan"}, "colour", "Choose one of the colours in the list"),
    ],
)
def test_bad_input_is_a_field_error_never_a_500_and_writes_nothing(staff_client, data, field, message):
    response = staff_client.post(reverse("customers:label_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Label.objects.exists()


def test_renaming_and_recolouring_a_label(staff_client):
    label = LabelFactory(name="VIP", colour=LabelColour.BLUE)
    url = reverse("customers:label_update", args=[label.pk])
    form = staff_client.get(url).content.decode()
    assert "<h1>Edit label “VIP”</h1>" in form
    assert 'value="blue" required id="id_colour_6" checked' in form
    response = staff_client.post(url, {"name": "Very important", "colour": "pink"})
    assert response.url == reverse("customers:label_list")
    label.refresh_from_db()
    assert (label.name, label.colour) == ("Very important", "pink")
    assert messages_of(response) == ["Label Very important saved."]


def test_a_label_may_change_the_case_of_its_own_name_but_not_take_anothers(staff_client):
    label, _ = LabelFactory(name="VIP"), LabelFactory(name="Press")
    url = reverse("customers:label_update", args=[label.pk])
    assert staff_client.post(url, {"name": "Vip", "colour": "blue"}).status_code == 302
    response = staff_client.post(url, {"name": "PRESS", "colour": "blue"})
    assert response.context["form"].errors == {"name": ["A label called “Press” already exists."]}
    assert "<h1>Edit label “Vip”</h1>" in response.content.decode()
    label.refresh_from_db()
    assert label.name == "Vip"


def test_the_delete_confirmation_says_how_many_contacts_lose_the_label(manager_client):
    label = label_with_contacts("VIP", live=2, trashed=1)
    html = manager_client.get(reverse("customers:label_delete", args=[label.pk])).content.decode()
    assert "<title>Delete label “VIP”? · Contacts CRM</title>" in html
    assert "<h1>Delete label “VIP”?</h1>" in html
    assert "It will be removed from 2 contacts; the contacts themselves are kept." in html
    assert '<button class="button button--danger" type="submit">Delete label</button>' in html
    assert f'<a class="button button--link" href="{reverse("customers:label_list")}">Cancel</a>' in html


def test_deleting_a_label_takes_it_off_contacts_and_keeps_the_contacts(manager_client):
    label = label_with_contacts("VIP", live=2)
    kept = LabelFactory(name="Kept")
    contact = Contact.objects.first()
    contact.labels.add(kept)
    response = manager_client.post(reverse("customers:label_delete", args=[label.pk]))
    assert response.url == reverse("customers:label_list")
    assert messages_of(response) == ["Label VIP deleted; removed from 2 contacts."]
    assert list(Label.objects.all()) == [kept]
    assert Contact.objects.count() == 2
    assert list(contact.labels.all()) == [kept]


# ---------- Who may do what ----------


@pytest.mark.parametrize(
    ("url_name", "with_label", "data"),
    [
        ("customers:label_create", False, {"name": "New", "colour": "red"}),
        ("customers:label_update", True, {"name": "Changed", "colour": "red"}),
        ("customers:label_delete", True, {}),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_may_not_add_change_or_delete_labels(client, viewer, url_name, with_label, data, method):
    label = LabelFactory(name="VIP", colour=LabelColour.BLUE)
    client.force_login(viewer)
    url = reverse(url_name, args=[label.pk] if with_label else [])
    assert getattr(client, method)(url, data).status_code == 403
    assert list(Label.objects.values_list("name", "colour")) == [("VIP", "blue")]


def test_staff_may_add_and_edit_labels_but_only_managers_delete_them(client, staff_user):
    label = LabelFactory(name="VIP")
    client.force_login(staff_user)
    html = client.get(reverse("customers:label_list")).content.decode()
    assert "Add label" in html
    assert "Edit<span" in html
    assert "Delete<span" not in html
    assert client.post(reverse("customers:label_delete", args=[label.pk])).status_code == 403
    assert Label.objects.filter(pk=label.pk).exists()


def test_a_viewer_sees_labels_without_any_controls(client, viewer):
    label = label_with_contacts("VIP", live=1)
    contact = Contact.objects.get()
    client.force_login(viewer)
    listing = client.get(reverse("customers:label_list")).content.decode()
    assert '<span class="chip chip--blue">VIP</span>' in listing
    for control in ("Add label", "Edit<span", "Delete<span", '<span class="visually-hidden">Actions'):
        assert control not in listing
    page = client.get(contact.get_absolute_url()).content.decode()
    assert '<span class="chip chip--blue">VIP</span>' in page
    assert "Remove label" not in page
    assert reverse("customers:contact_label_add", args=[contact.pk]) not in page
    for url in (
        reverse("customers:contact_label_add", args=[contact.pk]),
        reverse("customers:contact_label_remove", args=[contact.pk, label.pk]),
    ):
        assert client.post(url, {"label": "New"}).status_code == 403
    assert list(contact.labels.all()) == [label]
    assert not Activity.objects.exists()


def test_unsafe_requests_without_a_csrf_token_are_refused(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    label = label_with_contacts("VIP", live=1)
    contact = Contact.objects.get()
    posts = [
        (reverse("customers:label_create"), {"name": "New", "colour": "red"}),
        (reverse("customers:label_update", args=[label.pk]), {"name": "Changed", "colour": "red"}),
        (reverse("customers:label_delete", args=[label.pk]), {}),
        (reverse("customers:contact_label_add", args=[contact.pk]), {"label": "New"}),
        (reverse("customers:contact_label_remove", args=[contact.pk, label.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert list(Label.objects.values_list("name", flat=True)) == ["VIP"]
    assert list(contact.labels.all()) == [label]


def test_label_names_are_escaped_everywhere_including_attributes(manager_client):
    on_contact, not_on_contact = LabelFactory(name=HOSTILE), LabelFactory(name=HOSTILE + "2")
    contact = ContactFactory()
    contact.labels.add(on_contact)
    pages = [
        reverse("customers:label_list"),
        reverse("customers:label_update", args=[on_contact.pk]),
        reverse("customers:label_delete", args=[on_contact.pk]),
        contact.get_absolute_url(),
    ]
    for url in pages:
        html = manager_client.get(url).content.decode()
        assert "<script>x" not in html, url
        assert HOSTILE_ESCAPED in html, url
    page = manager_client.get(contact.get_absolute_url()).content.decode()
    assert f'title="Remove label {HOSTILE_ESCAPED}"' in page
    assert f'<option value="{HOSTILE_ESCAPED}2">' in page
    response = manager_client.post(reverse("customers:label_delete", args=[not_on_contact.pk]), follow=True)
    assert "<script>x" not in response.content.decode()


# ---------- The labels box on the contact page ----------


def test_adding_an_existing_label_by_name_in_any_case_records_it(staff_client, staff_user):
    contact, label = ContactFactory(), LabelFactory(name="VIP")
    response = staff_client.post(reverse("customers:contact_label_add", args=[contact.pk]), {"label": " vip "})
    assert response.url == contact.get_absolute_url()
    assert messages_of(response) == ["Label VIP added."]
    assert list(contact.labels.all()) == [label]
    assert Label.objects.count() == 1
    event = contact.activities.get()
    assert (event.event, event.body, event.actor) == ("label_added", "Label VIP added", staff_user)


def test_typing_a_new_name_creates_the_label_in_the_default_colour(staff_client):
    contact = ContactFactory()
    staff_client.post(reverse("customers:contact_label_add", args=[contact.pk]), {"label": "Trade fair"})
    label = Label.objects.get()
    assert (label.name, label.colour) == ("Trade fair", LabelColour.GREY)
    assert list(contact.labels.all()) == [label]


def test_the_picker_offers_only_labels_the_contact_does_not_have(staff_client):
    contact, on, off = ContactFactory(), LabelFactory(name="On"), LabelFactory(name="Off")
    contact.labels.add(on)
    response = staff_client.get(contact.get_absolute_url())
    assert list(response.context["label_form"].options) == [off]
    html = response.content.decode()
    assert '<datalist id="label-options"><option value="Off"></option></datalist>' in html
    assert 'list="label-options"' in html


def test_someone_who_may_not_create_labels_can_only_pick_existing_ones(client):
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "change_contact"], content_type__app_label="customers")
    )
    client.force_login(user)
    contact, label = ContactFactory(), LabelFactory(name="VIP")
    url = reverse("customers:contact_label_add", args=[contact.pk])
    response = client.post(url, {"label": "Brand new"})
    message = "There is no label called “Brand new”; pick one from the list"
    assert response.context["form"].errors == {"label": [message]}
    assert list(Label.objects.all()) == [label]
    assert client.post(url, {"label": "VIP"}).status_code == 302
    assert list(contact.labels.all()) == [label]


def test_removing_a_label_records_it_and_goes_back_to_the_contact(staff_client, staff_user):
    contact, label, kept = ContactFactory(), LabelFactory(name="VIP"), LabelFactory(name="Kept")
    contact.labels.add(label, kept)
    page = staff_client.get(contact.get_absolute_url()).content.decode()
    assert '<span class="visually-hidden">Remove label VIP</span>' in page
    response = staff_client.post(reverse("customers:contact_label_remove", args=[contact.pk, label.pk]))
    assert response.url == contact.get_absolute_url()
    assert messages_of(response) == ["Label VIP removed."]
    assert list(contact.labels.all()) == [kept]
    assert Label.objects.filter(pk=label.pk).exists()
    event = contact.activities.get()
    assert (event.event, event.body, event.actor) == ("label_removed", "Label VIP removed", staff_user)


def test_removing_a_label_the_contact_does_not_have_records_nothing(staff_client):
    contact, label = ContactFactory(), LabelFactory(name="VIP")
    response = staff_client.post(reverse("customers:contact_label_remove", args=[contact.pk, label.pk]))
    assert response.status_code == 302
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/{contact}/labels/999999/remove/",
        "/contacts/{contact}/labels/abc/remove/",
        "/contacts/{contact}/labels/-1/remove/",
        "/contacts/999999/labels/{label}/remove/",
        "/contacts/{trashed}/labels/{label}/remove/",
        "/contacts/999999/labels/add/",
        "/contacts/{trashed}/labels/add/",
        "/contacts/labels/abc/edit/",
        "/contacts/labels/999999/edit/",
        "/contacts/labels/999999/delete/",
    ],
)
def test_tampered_ids_are_answered_404_and_change_nothing(manager_client, path):
    contact, label = ContactFactory(), LabelFactory(name="VIP")
    trashed = ContactFactory(deleted_at=timezone.now())
    contact.labels.add(label)
    trashed.labels.add(label)
    url = path.format(contact=contact.pk, label=label.pk, trashed=trashed.pk)
    assert manager_client.post(url, {"label": "New", "name": "New", "colour": "red"}).status_code == 404
    assert list(Label.objects.values_list("name", flat=True)) == ["VIP"]
    assert contact.labels.count() == trashed.labels.count() == 1
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a label name"),
        ("Nul\x00byte", "Label contains a hidden control character; retype it"),
        ("x" * 10_000, "Label must be 50 characters or fewer (it has 10,000)"),
    ],
)
def test_a_bad_label_name_without_javascript_gets_its_own_page_and_writes_nothing(staff_client, typed, message):
    contact = ContactFactory(first_name="Ann", last_name="Lee")
    response = staff_client.post(reverse("customers:contact_label_add", args=[contact.pk]), {"label": typed})
    assert response.status_code == 200
    assert response.context["form"].errors == {"label": [message]}
    html = response.content.decode()
    assert "<title>Error: Add label to Ann Lee" in html
    assert "<h2>There is a problem</h2>" in html
    if typed and typed.isprintable():
        assert f'value="{typed}"' in html
    assert not Label.objects.exists()
    assert not Activity.objects.exists()


def test_with_htmx_adding_returns_only_the_labels_box_and_announces_it(staff_client):
    contact = ContactFactory()
    response = staff_client.post(
        reverse("customers:contact_label_add", args=[contact.pk]), {"label": "VIP"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" aria-labelledby="labels-title"')
    assert "<html" not in html
    assert "Activity" not in html
    assert '<span class="visually-hidden">Remove label VIP</span>' in html
    assert '<div id="status" hx-swap-oob="innerHTML">Label VIP added.</div>' in html
    assert "autofocus" in html
    assert messages_of(response) == []
    assert contact.labels.get().name == "VIP"


def test_with_htmx_removing_returns_only_the_labels_box(staff_client):
    contact, label = ContactFactory(), LabelFactory(name="VIP")
    contact.labels.add(label)
    response = staff_client.post(
        reverse("customers:contact_label_remove", args=[contact.pk, label.pk]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "No labels." in html
    assert '<option value="VIP"></option>' in html
    assert '<div id="status" hx-swap-oob="innerHTML">Label VIP removed.</div>' in html
    assert messages_of(response) == []


def test_with_htmx_a_bad_name_shows_the_error_in_the_box(staff_client):
    contact = ContactFactory()
    response = staff_client.post(
        reverse("customers:contact_label_add", args=[contact.pk]), {"label": "x" * 51}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Label must be 50 characters or fewer" in html
    assert 'aria-invalid="true"' in html
    assert 'id="status"' not in html
    assert not Label.objects.exists()
