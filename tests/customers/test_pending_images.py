"""A valid image chosen in a contact form that comes back with another error is kept aside, under a signed,
short-lived token bound to the person, and saved with the contact; nothing else can use it."""

import io
import os
import re
import time
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from customers import pending_images
from customers.images import image_process
from customers.models import Contact
from customers.pending_images import (
    FOLDER,
    TOKEN_SALT,
    PendingImageInvalid,
    pending_image_keep,
    pending_image_load,
    pending_images_purge,
)
from tests.customers.views.test_contacts_form import form_data
from tests.factories import ContactFactory, UserFactory
from tests.images import png_upload

pytestmark = pytest.mark.django_db

KEPT = "Image chosen: kept — it will be saved with the contact"
GONE = "The image chosen earlier is no longer kept (it is kept for an hour); choose it again"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files_in(media, folder: str) -> list[str]:
    root = media / folder
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


def kept_token(html: str) -> str:
    """The token the page carries for its kept image, or "" for none."""
    found = re.search(r'<input type="hidden" name="pending_image" (?:value="([^"]*)" )?id="id_pending_image">', html)
    assert found, "the page has no pending_image input"
    return found.group(1) or ""


def post_with_bad_email(client, **fields):
    data = form_data(email="not an email", first_name="Ann", image=png_upload(colour="red"), **fields)
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 200
    return response.content.decode()


def test_an_image_chosen_with_another_error_is_kept_and_saved_with_the_contact(staff_client, media):
    html = post_with_bad_email(staff_client)
    assert KEPT in html
    assert "Enter an email address like name@example.com" in html
    token = kept_token(html)
    assert token
    assert len(files_in(media, FOLDER)) == 2
    assert files_in(media, "contacts") == []
    assert not Contact.objects.exists()

    response = staff_client.post(
        reverse("customers:create"), form_data(email="ann@example.com", first_name="Ann", pending_image=token)
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    with contact.image.open("rb") as stored, Image.open(stored) as picture:
        assert picture.getpixel((0, 0)) == (255, 0, 0)
    assert contact.image_thumbnail
    # Used once: the kept files are gone, and the same token cannot bring them back.
    assert files_in(media, FOLDER) == []
    assert len(files_in(media, "contacts")) == 2
    again = staff_client.post(reverse("customers:create"), form_data(email="bob@example.com", pending_image=token))
    assert GONE in again.content.decode()


def test_the_image_stays_kept_through_several_errors(staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    html = staff_client.post(
        reverse("customers:create"), form_data(email="still wrong", pending_image=token)
    ).content.decode()
    assert KEPT in html
    assert kept_token(html) == token
    assert len(files_in(media, FOLDER)) == 2


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "",
        "x" * 10_000,
        "a\x00b",
        signing.dumps({"key": "0" * 32, "extension": ".png", "user": 1}, salt="another-salt"),
        signing.dumps({"key": "../../etc/passwd", "extension": ".png", "user": 1}, salt=TOKEN_SALT),
        signing.dumps(["not", "a", "dict"], salt=TOKEN_SALT),
    ],
)
def test_a_tampered_token_is_ignored_with_a_message_never_a_500(staff_client, media, token):
    kept = kept_token(post_with_bad_email(staff_client))
    altered = token if token else kept[:-3] + ("AAA" if not kept.endswith("AAA") else "BBB")
    response = staff_client.post(
        reverse("customers:create"), form_data(email="ann@example.com", first_name="Kept", pending_image=altered)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert GONE in html
    assert 'value="Kept"' in html
    assert KEPT not in html
    assert not Contact.objects.exists()


def test_another_persons_token_is_refused(client, staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    client.force_login(UserFactory(username="someone-else", role="Staff"))
    html = client.post(reverse("customers:create"), form_data(email="ann@example.com", pending_image=token)).content
    assert GONE in html.decode()
    assert not Contact.objects.exists()
    assert len(files_in(media, FOLDER)) == 2


def test_an_expired_token_is_refused(staff_client, staff_user, monkeypatch):
    processed = image_process(png_upload())
    an_hour_ago = time.time() - pending_images.TOKEN_MAX_AGE.total_seconds() - 1
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: an_hour_ago))
    token = pending_image_keep(image=processed, user_id=staff_user.pk)
    monkeypatch.undo()
    with pytest.raises(PendingImageInvalid):
        pending_image_load(token=token, user_id=staff_user.pk)
    html = staff_client.post(reverse("customers:create"), form_data(email="ann@example.com", pending_image=token))
    assert GONE in html.content.decode()
    assert not Contact.objects.exists()


def test_remove_drops_the_kept_image_and_saves_without_it(staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    data = form_data(email="ann@example.com", pending_image=token, remove_pending_image="on")
    assert staff_client.post(reverse("customers:create"), data).status_code == 302
    assert not Contact.objects.get().image
    assert files_in(media, FOLDER) == []


def test_remove_with_another_error_drops_the_kept_image_at_once(staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    data = form_data(email="still wrong", pending_image=token, remove_pending_image="on")
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert KEPT not in html
    assert kept_token(html) == ""
    assert files_in(media, FOLDER) == []


def test_a_new_image_replaces_the_kept_one(staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    data = form_data(email="ann@example.com", pending_image=token, image=png_upload(colour="blue"))
    assert staff_client.post(reverse("customers:create"), data).status_code == 302
    with Contact.objects.get().image.open("rb") as stored, Image.open(stored) as picture:
        assert picture.getpixel((0, 0)) == (0, 0, 255)
    assert files_in(media, FOLDER) == []


def test_a_refused_new_image_keeps_the_one_kept_before(staff_client, media):
    token = kept_token(post_with_bad_email(staff_client))
    data = form_data(email="ann@example.com", pending_image=token)
    data["image"] = io.BytesIO(b"not an image")
    data["image"].name = "x.png"
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert "Choose a JPEG, PNG, GIF or WebP image" in html
    assert KEPT in html
    assert kept_token(html) == token


def test_add_another_number_without_javascript_keeps_the_chosen_image(staff_client, media):
    data = form_data(email="ann@example.com", image=png_upload(), add_phone="1")
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert KEPT in html
    data = form_data(email="ann@example.com", pending_image=kept_token(html))
    assert staff_client.post(reverse("customers:create"), data).status_code == 302
    assert Contact.objects.get().image


def test_an_htmx_row_button_keeps_nothing_aside(staff_client, media):
    """htmx swaps only the rows, so the file input in the page still holds the chosen file."""
    data = form_data(email="ann@example.com", image=png_upload(), add_phone="1")
    staff_client.post(reverse("customers:create"), data, headers={"HX-Request": "true"})
    assert files_in(media, FOLDER) == []


def test_the_edit_form_keeps_a_new_image_across_an_error_too(staff_client, media):
    contact = ContactFactory(email="ann@example.com")
    url = reverse("customers:update", args=[contact.pk])
    version = staff_client.get(url).context["form"].initial["version"]
    html = staff_client.post(url, form_data(email="bad", version=version, image=png_upload())).content.decode()
    assert KEPT in html
    data = form_data(email="ann@example.com", version=version, pending_image=kept_token(html))
    assert staff_client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.image
    assert files_in(media, FOLDER) == []


def test_kept_images_are_stored_under_generated_names_that_are_not_served(staff_client, media):
    data = form_data(email="bad", image=png_upload(name="../../evil\x00.png.html"))
    post = staff_client.post(reverse("customers:create"), data)
    names = files_in(media, FOLDER)
    assert len(names) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}(-thumbnail)?\.png", name) for name in names)
    assert "evil" not in post.content.decode()
    assert staff_client.get(f"/media/{FOLDER}/{names[0]}").status_code == 404


def test_files_older_than_a_token_are_purged_on_each_keep_and_by_the_command(staff_user, media):
    old = pending_image_keep(image=image_process(png_upload()), user_id=staff_user.pk)
    an_hour_ago = time.time() - pending_images.TOKEN_MAX_AGE.total_seconds() - 60
    for name in files_in(media, FOLDER):
        os.utime(media / FOLDER / name, (an_hour_ago, an_hour_ago))
    pending_image_keep(image=image_process(png_upload()), user_id=staff_user.pk)
    assert len(files_in(media, FOLDER)) == 2
    with pytest.raises(PendingImageInvalid):
        pending_image_load(token=old, user_id=staff_user.pk)

    for name in files_in(media, FOLDER):
        os.utime(media / FOLDER / name, (an_hour_ago, an_hour_ago))
    out = io.StringIO()
    call_command("purge_pending_images", stdout=out)
    assert out.getvalue() == "2 kept image files removed.\n"
    assert files_in(media, FOLDER) == []
    assert pending_images_purge() == 0


def test_the_purge_leaves_younger_files_alone(staff_user, media):
    token = pending_image_keep(image=image_process(png_upload()), user_id=staff_user.pk)
    assert pending_images_purge() == 0
    assert pending_image_load(token=token, user_id=staff_user.pk).extension == ".png"
    assert default_storage.exists(f"{FOLDER}/{files_in(media, FOLDER)[0]}")
