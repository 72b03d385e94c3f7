"""The possible duplicates page: the list, "Find duplicates now" and its job, and "Not the same person"."""

import pytest
from django.urls import reverse

from jobs.models import Job, JobStatus
from merges.finder import pairs_find
from merges.models import Dismissal, DuplicatePair
from tests.factories import ContactFactory, PhoneNumberFactory, UserFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db

PAIRS, FIND, DISMISS = reverse("merges:pairs"), reverse("merges:find"), reverse("merges:dismiss")


@pytest.fixture
def pair():
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@one.example")
    other = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@other.example")
    PhoneNumberFactory(contact=ann, number="+442071838750")
    PhoneNumberFactory(contact=other, number="+442071838750")
    pairs_find()
    return ann, other


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_list_shows_both_contacts_their_reasons_and_the_actions(manager_client, pair):
    ann, other = pair
    response = manager_client.get(PAIRS)
    assert response.status_code == 200
    text = response.text
    for shown in (ann.get_absolute_url(), other.get_absolute_url(), "ann.lee@one.example", "ann.lee@other.example"):
        assert shown in text
    assert "Same phone number; Same email name at another domain" in text
    assert "Not the same person" in text
    assert f"/contacts/merge/?contact={ann.pk}&amp;other={other.pk}" in text


def test_staff_who_may_not_merge_see_no_merge_link(staff_client, pair):
    response = staff_client.get(PAIRS)
    assert "Review and merge" not in response.text
    assert "Not the same person" in response.text


def test_the_empty_list_says_what_the_finder_looks_for(staff_client):
    response = staff_client.get(PAIRS)
    assert "No possible duplicates" in response.text
    assert "share a phone number" in response.text
    assert "Find duplicates now" in response.text


def test_a_tampered_cursor_shows_the_first_page(staff_client, pair):
    assert staff_client.get(PAIRS, {"cursor": "not-ours"}).status_code == 200


def test_find_queues_the_job_which_states_its_count(staff_client, pair, django_capture_on_commit_callbacks):
    DuplicatePair.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(FIND, follow=True)
    assert response.redirect_chain == [(PAIRS, 302)]
    assert "follow it on the Jobs page" in _messages(response)[0]
    job = Job.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        run_queued()
    job.refresh_from_db()
    assert (job.status, job.processed, job.total) == (JobStatus.DONE, 5, 5)
    assert job.summary.startswith("Found 1 possible duplicate pair in ")
    assert job.summary.endswith(" s.")
    assert DuplicatePair.objects.count() == 1
    assert "Last checked" in staff_client.get(PAIRS).text


def test_dismiss_removes_the_pair_and_goes_back(staff_client, pair):
    ann, other = pair
    response = staff_client.post(DISMISS, {"contact": other.pk, "other": ann.pk}, follow=True)
    assert response.redirect_chain == [(PAIRS, 302)]
    assert "will not be suggested as duplicates again" in _messages(response)[0]
    assert not DuplicatePair.objects.exists()
    assert Dismissal.objects.filter(contact=ann, other=other).exists()
    # Twice is the same as once.
    staff_client.post(DISMISS, {"contact": ann.pk, "other": other.pk})
    assert Dismissal.objects.count() == 1
    assert pairs_find() == 0


def test_dismiss_goes_back_to_the_contact_page_but_never_off_the_site(staff_client, pair):
    ann, other = pair
    data = {"contact": ann.pk, "other": other.pk}
    back = staff_client.post(DISMISS, data | {"next": ann.get_absolute_url()})
    assert back["Location"] == ann.get_absolute_url()
    away = staff_client.post(DISMISS, data | {"next": "https://evil.example/"})
    assert away["Location"] == PAIRS


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"contact": "1"},
        {"contact": "abc", "other": "2"},
        {"contact": "99999999999999999999999", "other": "1"},
        {"contact": "-1", "other": "1"},
        {"contact": "123456", "other": "123457"},
    ],
)
def test_dismiss_with_missing_or_tampered_ids_says_so(staff_client, production, pair, data):
    response = staff_client.post(DISMISS, data, follow=True)
    assert response.status_code == 200
    assert "could not be found" in _messages(response)[0]
    assert not Dismissal.objects.exists()


def test_dismiss_a_contact_with_itself_is_refused(staff_client, pair):
    ann, _ = pair
    response = staff_client.post(DISMISS, {"contact": ann.pk, "other": ann.pk}, follow=True)
    assert "cannot be set apart from itself" in _messages(response)[0]
    assert not Dismissal.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, pair):
    ann, other = pair
    response = client.post(DISMISS, {"contact": ann.pk, "other": other.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Dismissal.objects.exists()


def test_a_viewer_may_read_but_not_dismiss_or_find(client, viewer, pair):
    ann, other = pair
    client.force_login(viewer)
    page = client.get(PAIRS)
    assert page.status_code == 200
    assert "Not the same person" not in page.text
    assert client.post(DISMISS, {"contact": ann.pk, "other": other.pk}).status_code == 403
    assert client.post(FIND).status_code == 403
    assert not Dismissal.objects.exists()
    assert not Job.objects.exists()


def test_the_contacts_list_links_to_the_possible_duplicates(client):
    client.force_login(UserFactory(role="Viewer"))
    assert PAIRS in client.get(reverse("customers:list")).text
