"""The contact form end to end through its views: image, labels, companies, restore, and bad input."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from companies.models import Company, Membership, MembershipAccess
from customers.models import Activity, Contact
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, MembershipFactory, staff_without_add_company
from tests.images import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def form_data(phones=(), companies=(), **fields):
    """A submitted contact form: phones as (number, label) rows, companies as (name, access[, choice]) rows."""
    data = {
        "phones-TOTAL_FORMS": str(len(phones)),
        "phones-INITIAL_FORMS": "0",
        "companies-TOTAL_FORMS": str(len(companies)),
        "companies-INITIAL_FORMS": "0",
        **fields,
    }
    for index, (number, label) in enumerate(phones):
        data |= {f"phones-{index}-number": number, f"phones-{index}-label": label}
    for index, (name, access, *choice) in enumerate(companies):
        data |= {f"companies-{index}-company": name, f"companies-{index}-portal_access": access}
        data |= {f"companies-{index}-choice": choice[0]} if choice else {}
    return data


def test_seed_000_everything_in_one_form_ends_on_a_page_that_shows_it(staff_client, staff_user):
    acme = CompanyFactory(name="Acme")
    vip = LabelFactory(name="VIP")
    data = form_data(
        phones=[("07400 123456", "mobile"), ("+44 20 7183 8750", "work")],
        companies=[("acme", MembershipAccess.COMPANY), ("New Co", MembershipAccess.INHERIT, "create:New Co")],
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        labels=[vip.pk],
        image=png_upload(),
    )
    response = staff_client.post(reverse("customers:create"), data, follow=True)
    contact = Contact.objects.get()
    assert response.redirect_chain == [(contact.get_absolute_url(), 302)]
    html = response.content.decode()
    assert reverse("customers:image", args=[contact.pk]) in html
    assert "As set in the Company Page: Access personal tickets only" in html
    assert "Overridden: Access all company&#x27;s tickets" in html
    assert "VIP" in html
    assert "+44 7400 123456" in html
    assert "+44 20 7183 8750" in html
    assert Membership.objects.get(contact=contact, company=acme).portal_access == MembershipAccess.COMPANY
    assert Company.objects.filter(name="New Co").exists()
    assert not contact.details_locked
    assert Activity.objects.filter(contact=contact, event="created", actor=staff_user).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("eps.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n", "Choose a JPEG, PNG, GIF or WebP image"),
        ("empty.png", b"", "The file is empty"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), "The image must be 5 MB or smaller"),
        ("cut.png", png_upload(size=(400, 400)).read()[:60], "The image file is damaged or incomplete"),
    ],
)
def test_a_refused_image_keeps_what_was_typed_and_writes_nothing(staff_client, media, name, content, message):
    data = form_data(phones=[("07400 123456", "")], first_name="Kept", email="ann@example.com")
    data["image"] = SimpleUploadedFile(name, content)
    response = staff_client.post(reverse("customers:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "<title>Error: " in html
    assert 'value="Kept"' in html
    assert 'value="07400 123456"' in html
    assert not Contact.objects.exists()
    assert stored_files(media) == []


def test_two_image_files_in_one_request_are_refused_and_write_nothing(staff_client, media):
    data = form_data(email="ann@example.com")
    data["image"] = [png_upload("a.png"), png_upload("b.png")]
    response = staff_client.post(reverse("customers:create"), data)
    assert "Choose one image" in response.content.decode()
    assert not Contact.objects.exists()
    assert stored_files(media) == []


def test_a_duplicate_email_saves_no_image_file_and_only_keeps_the_image_aside(staff_client, media):
    ContactFactory(email="ann@example.com")
    staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", image=png_upload()))
    assert [path.parent.name for path in stored_files(media)] == ["pending-images", "pending-images"]


def test_the_image_is_served_to_staff_only_with_its_type_and_nosniff(staff_client, client, viewer):
    staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", image=png_upload()))
    contact = Contact.objects.get()
    client.force_login(viewer)
    for name in ("customers:image", "customers:thumbnail"):
        response = client.get(reverse(name, args=[contact.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as picture:
            assert picture.format == "PNG"
    client.logout()
    assert client.get(reverse("customers:image", args=[contact.pk])).status_code == 302


def test_no_image_or_a_trashed_contact_is_not_found(staff_client):
    assert staff_client.get(reverse("customers:image", args=[ContactFactory().pk])).status_code == 404
    staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", image=png_upload()))
    with_image = Contact.objects.get(email="ann@example.com")
    Contact.objects.filter(pk=with_image.pk).update(deleted_at=timezone.now())
    assert staff_client.get(reverse("customers:image", args=[with_image.pk])).status_code == 404


def test_editing_replaces_the_image_and_locks_the_details(staff_client, media):
    staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", image=png_upload()))
    contact = Contact.objects.get()
    old = contact.image.name
    edit = staff_client.get(reverse("customers:update", args=[contact.pk])).context["form"]
    data = form_data(email="ann@example.com", version=edit.initial["version"], image=png_upload(colour="red"))
    response = staff_client.post(reverse("customers:update", args=[contact.pk]), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.image.name != old
    assert contact.details_locked


def test_the_edit_form_can_remove_the_image(staff_client):
    staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", image=png_upload()))
    contact = Contact.objects.get()
    page = staff_client.get(reverse("customers:update", args=[contact.pk]))
    assert "Remove image" in page.content.decode()
    data = form_data(email="ann@example.com", version=page.context["form"].initial["version"], remove_image="on")
    staff_client.post(reverse("customers:update", args=[contact.pk]), data)
    contact.refresh_from_db()
    assert not contact.image


def test_a_company_that_does_not_exist_is_refused_for_staff_who_may_not_add_companies(client):
    client.force_login(staff_without_add_company())
    data = form_data(companies=[("Nowhere Ltd", "inherit")], email="ann@example.com", first_name="Kept")
    html = client.post(reverse("customers:create"), data).content.decode()
    assert "No company called “Nowhere Ltd”. Check the name; a company must be added before contacts can" in html
    assert "Create company" not in html
    assert 'value="Kept"' in html
    assert 'value="Nowhere Ltd"' in html
    assert not Contact.objects.exists()
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Acme", "inherit"), ("ACME", "company")], "You have already added this company"),
        ([("Acme", "everything")], "Choose one of the Customer Portal permissions in the list"),
        ([("Acme\x00", "inherit")], "hidden control character"),
        ([("x" * 10_000, "inherit")], "200 characters or fewer"),
    ],
)
def test_bad_company_rows_are_field_errors(staff_client, rows, message):
    CompanyFactory(name="Acme")
    html = staff_client.post(reverse("customers:create"), form_data(companies=rows, email="a@example.com")).content
    assert message in html.decode()
    assert not Contact.objects.exists()


def test_more_companies_than_allowed_are_refused(staff_client):
    rows = [(f"Company {n}", "inherit") for n in range(21)]
    response = staff_client.post(reverse("customers:create"), form_data(companies=rows, email="a@example.com"))
    assert response.status_code == 200
    assert not Contact.objects.exists()


def test_add_company_without_javascript_adds_a_focused_row_set_as_in_the_company_page(staff_client):
    data = form_data(companies=[("Acme", "company")], email="ann@example.com", first_name="Kept", add_company="1")
    response = staff_client.post(reverse("customers:create"), data)
    form = response.context["form"]
    assert [row["company"].value() for row in form.companies] == ["Acme", ""]
    assert form.companies.forms[1]["portal_access"].value() == MembershipAccess.INHERIT
    assert form.companies.forms[1].fields["company"].widget.attrs.get("autofocus")
    assert 'value="Kept"' in response.content.decode()
    assert not Contact.objects.exists()


def test_remove_company_takes_that_row_away(staff_client):
    data = form_data(companies=[("Acme", "company"), ("Beta", "inherit")], email="a@example.com", remove_company="0")
    form = staff_client.post(reverse("customers:create"), data).context["form"]
    assert [row["company"].value() for row in form.companies] == ["Beta"]


def test_editing_companies_changes_memberships_without_locking(staff_client, staff_user):
    membership = MembershipFactory(company__name="Acme")
    contact = membership.contact
    page = staff_client.get(reverse("customers:update", args=[contact.pk]))
    form = page.context["form"]
    assert [(row["company"].value(), row["portal_access"].value()) for row in form.companies] == [("Acme", "inherit")]
    data = form_data(
        companies=[("Acme", "personal")],
        email=contact.email,
        version=form.initial["version"],
        first_name=contact.first_name,
        last_name=contact.last_name,
    )
    assert staff_client.post(reverse("customers:update", args=[contact.pk]), data).status_code == 302
    membership.refresh_from_db()
    contact.refresh_from_db()
    assert membership.portal_access == MembershipAccess.PERSONAL
    assert not contact.details_locked
    assert Activity.objects.get(contact=contact, event="portal_access_changed").actor == staff_user


def test_labels_ticked_in_the_form_are_put_on_the_contact_and_unknown_ones_refused(staff_client):
    vip = LabelFactory(name="VIP")
    staff_client.post(reverse("customers:create"), form_data(email="a@example.com", labels=[vip.pk]))
    assert list(Contact.objects.get().labels.all()) == [vip]
    html = staff_client.post(reverse("customers:create"), form_data(email="b@example.com", labels=["999", "x"])).content
    assert "One of the labels chosen no longer exists; choose again" in html.decode()
    assert Contact.objects.count() == 1


def test_an_email_in_the_trash_offers_to_restore_that_contact(staff_client):
    trashed = ContactFactory(email="ann@example.com", first_name="Ann", deleted_at=timezone.now())
    html = staff_client.post(reverse("customers:create"), form_data(email="ANN@example.com")).content.decode()
    assert "A contact with this email is in the Trash" in html
    assert f'href="{reverse("customers:restore", args=[trashed.pk])}"' in html
    assert Contact.objects.count() == 1


def test_restore_asks_first_then_brings_the_contact_back(staff_client):
    trashed = ContactFactory(email="ann@example.com", deleted_at=timezone.now())
    url = reverse("customers:restore", args=[trashed.pk])
    assert "Restore contact" in staff_client.get(url).content.decode()
    assert Contact.objects.get(pk=trashed.pk).deleted_at is not None
    response = staff_client.post(url)
    assert response.url == trashed.get_absolute_url()
    assert Contact.objects.get(pk=trashed.pk).deleted_at is None


def test_restore_is_refused_with_a_link_when_the_email_is_taken(staff_client):
    trashed = ContactFactory(email="ann@example.com", deleted_at=timezone.now())
    live = ContactFactory(email="Ann@example.com", first_name="Other")
    response = staff_client.post(reverse("customers:restore", args=[trashed.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{live.get_absolute_url()}"' in html
    assert "now belongs to" in html
    assert Contact.objects.get(pk=trashed.pk).deleted_at is not None


def test_restoring_a_live_contact_is_not_found_and_viewers_may_not_restore(staff_client, client, viewer):
    assert staff_client.post(reverse("customers:restore", args=[ContactFactory().pk])).status_code == 404
    trashed = ContactFactory(deleted_at=timezone.now())
    client.force_login(viewer)
    assert client.post(reverse("customers:restore", args=[trashed.pk])).status_code == 403
    assert Contact.objects.get(pk=trashed.pk).deleted_at is not None


def test_names_and_company_names_with_html_are_shown_as_text_in_the_form(staff_client):
    membership = MembershipFactory(company__name='<img src=x onerror="alert(1)">', contact__first_name="<b>x</b>")
    html = staff_client.get(reverse("customers:update", args=[membership.contact.pk])).content.decode()
    assert "<img src=x" not in html
    assert "<b>x</b>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_numbers_the_phone_hint_gives_as_examples_are_accepted(staff_client):
    page = staff_client.get(reverse("customers:create")).content.decode()
    hint = re.search(r'<p class="field__hint" id="phones-hint">(.*?)</p>', page, re.S).group(1)
    examples = re.findall(r"\+?\d[\d ]{6,}\d", hint)
    assert examples == ["07700 900123", "+44 7700 900123"]
    for number, email in zip(examples, ["ann@example.com", "bob@example.com"], strict=True):
        response = staff_client.post(reverse("customers:create"), form_data(email=email, phones=[(number, "")]))
        assert response.status_code == 302, number
    assert set(Contact.objects.values_list("phones__number", flat=True)) == {"+447700900123"}


def test_the_add_form_opens_with_the_cursor_in_first_name_and_only_there(staff_client):
    html = staff_client.get(reverse("customers:create")).content.decode()
    assert re.search(r'<input type="text" name="first_name" [^>]*autofocus', html)
    assert html.count("autofocus") == 1


def test_the_edit_form_and_a_form_with_errors_leave_focus_to_the_page(staff_client):
    contact = ContactFactory()
    assert "autofocus" not in staff_client.get(reverse("customers:update", args=[contact.pk])).content.decode()
    html = staff_client.post(reverse("customers:create"), form_data(email="not an email")).content.decode()
    assert 'id="error-summary"' in html
    assert "autofocus" not in html


def test_a_pasted_10_kb_first_name_is_refused_with_the_limit_and_kept_whole(staff_client):
    pasted = "A" * 10_240
    html = staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", first_name=pasted))
    html = html.content.decode()
    assert "First name must be 150 characters or fewer (it has 10,240)" in html
    assert f'name="first_name" value="{pasted}"' in html
    assert "maxlength" not in html
    assert not Contact.objects.exists()
