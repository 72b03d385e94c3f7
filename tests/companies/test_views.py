import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from customers.models import Activity
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, UserFactory, staff_without_add_company
from tests.naughty import OUT_OF_RANGE_IDS
from tests.test_query_counts import REQUEST

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def acme():
    return CompanyFactory(name="Acme", default_portal_access=CompanyAccess.COMPANY)


@pytest.fixture
def ann():
    return ContactFactory(first_name="Ann", last_name="Lee", email="Ann.Lee@Example.com")


def test_adding_a_company_opens_its_page(staff_client):
    response = staff_client.post(
        reverse("companies:create"), {"name": " Acme Ltd ", "domain": "acme.test", "default_portal_access": "company"}
    )
    company = Company.objects.get()
    assert response.url == reverse("companies:detail", args=[company.pk])
    assert (company.name, company.default_portal_access) == ("Acme Ltd", "company")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "domain": "kept.test", "default_portal_access": "company"}, "name", "Enter the company"),
        ({"name": "ACME", "domain": "kept.test", "default_portal_access": "company"}, "name", "already exists"),
        ({"name": "New", "domain": "kept.test", "default_portal_access": "everyone"}, "default_portal_access", "valid"),
        ({"name": "Nul\x00", "domain": "kept.test", "default_portal_access": "company"}, "name", "Null characters"),
        ({"name": "x" * 10_000, "domain": "kept.test", "default_portal_access": "company"}, "name", "(it has 10,000)"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_keeps_what_was_typed_and_writes_nothing(
    staff_client, data, field, message
):
    CompanyFactory(name="Acme")
    response = staff_client.post(reverse("companies:create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'value="kept.test"' in response.content.decode()
    assert response.content.decode().count("There is a problem") == 1
    assert Company.objects.count() == 1


def test_the_company_and_contact_pages_show_each_members_access_and_why(manager_client):
    company = CompanyFactory(default_portal_access=CompanyAccess.COMPANY)
    inheriting = MembershipFactory(company=company, portal_access=MembershipAccess.INHERIT)
    MembershipFactory(company=company, portal_access=MembershipAccess.PERSONAL)
    page = manager_client.get(company.get_absolute_url()).content.decode()
    assert "As set in the Company Page: Access all company&#x27;s tickets" in page
    assert "Overridden: Access personal tickets only" in page
    contact_page = manager_client.get(inheriting.contact.get_absolute_url()).content.decode()
    assert "As set in the Company Page: Access all company&#x27;s tickets" in contact_page


# ---------- Company list: search, member counts, pages ----------


def _names(response) -> list[str]:
    return [company.name for company in response.context["page_obj"]]


def test_the_search_matches_name_or_domain_ignoring_case(viewer_client):
    CompanyFactory(name="Acme Ltd", domain="")
    CompanyFactory(name="Brick & Co", domain="ACMEBRICKS.example")
    CompanyFactory(name="Other", domain="other.example")
    response = viewer_client.get(reverse("companies:list"), {"q": "  acme "})
    assert _names(response) == ["Acme Ltd", "Brick & Co"]
    assert 'value="acme"' in response.content.decode()


@pytest.mark.parametrize(("term", "expected"), [("%", ["100% Cotton"]), ("_", ["A_B"]), ("\\", ["Back\\slash"])])
def test_the_search_takes_like_wildcards_literally(viewer_client, term, expected):
    for name in ("100% Cotton", "A_B", "Back\\slash", "Plain"):
        CompanyFactory(name=name)
    assert _names(viewer_client.get(reverse("companies:list"), {"q": term})) == expected


@pytest.mark.parametrize("term", ["\x00", "acme\x00", "x" * 10_000, "' OR 1=1 --", '"; DROP TABLE x; --'])
def test_hostile_searches_still_render_the_list(viewer_client, term):
    CompanyFactory(name="Acme")
    response = viewer_client.get(reverse("companies:list"), {"q": term})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["\x00", "-1", "-" + "9" * 40, *OUT_OF_RANGE_IDS])
def test_a_page_that_is_no_number_or_beyond_the_last_is_a_page_never_a_500(viewer_client, production, page):
    CompanyFactory(name="Acme")
    response = viewer_client.get(reverse("companies:list"), {"q": "acme", "page": page})
    assert response.status_code == 200
    assert _names(response) == ["Acme"]


def test_a_search_without_matches_says_so(viewer_client):
    CompanyFactory(name="Acme")
    page = viewer_client.get(reverse("companies:list"), {"q": "zzz"}).content.decode()
    assert "No companies found — try changing the search term." in page
    assert 'aria-label="Companies"' in page  # the search box stays, to change the term


def test_without_companies_the_list_invites_adding_one(staff_client):
    page = staff_client.get(reverse("companies:list")).content.decode()
    assert "Add your first company" in page
    assert "Search companies" not in page


def test_member_counts_count_only_contacts_outside_the_trash(viewer_client):
    company = CompanyFactory()
    MembershipFactory.create_batch(2, company=company)
    MembershipFactory(company=company, contact=ContactFactory(deleted_at=timezone.now()))
    response = viewer_client.get(reverse("companies:list"))
    assert [c.member_count for c in response.context["page_obj"]] == [2]


def test_page_links_keep_the_search(viewer_client, settings):
    settings.LIST_PAGE_SIZE = 2
    for index in range(3):
        CompanyFactory(name=f"Acme {index}")
    CompanyFactory(name="Other")
    first = viewer_client.get(reverse("companies:list"), {"q": "acme"}).content.decode()
    assert 'href="?q=acme&amp;page=2"' in first
    assert 'hx-get="?q=acme&amp;page=2"' in first
    second = viewer_client.get(reverse("companies:list"), {"q": "acme", "page": "2"})
    assert _names(second) == ["Acme 2"]
    assert 'href="?q=acme&amp;page=1"' in second.content.decode()


def test_an_htmx_search_gets_only_the_results_and_a_status_line(viewer_client):
    CompanyFactory(name="Acme")
    CompanyFactory(name="Other")
    response = viewer_client.get(reverse("companies:list"), {"q": "acme"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert page.count('id="results"') == 1
    assert "1 company matches" in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("rows", [1, 50])
def test_company_list_searched_query_count(viewer_client, django_assert_num_queries, rows):
    for index in range(rows):
        MembershipFactory(company=CompanyFactory(name=f"Acme {index}"))
        MembershipFactory(company=CompanyFactory(name=f"Other {index}"))
    expected = [
        *REQUEST,
        "matching companies, counted for the paginator",
        "the page of matching companies with their live member counts",
    ]
    with django_assert_num_queries(len(expected)):
        response = viewer_client.get(reverse("companies:list"), {"q": "acme"})
    assert len(response.context["page_obj"]) == rows


# ---------- A company row's suggestions (companies:suggestions) ----------


def suggestions(client, typed, **params):
    """The options the endpoint answers for what was typed, as (text, data-choice) pairs."""
    response = client.get(reverse("companies:suggestions"), {"q": typed, **params})
    assert response.status_code == 200
    html = response.content.decode()
    return re.findall(r'<li class="[^"]*" role="option" data-value="[^"]*" data-choice="([^"]*)">([^<]*)</li>', html)


def test_suggestions_put_the_exact_name_first_then_names_starting_with_it_then_containing_it(viewer_client):
    for name in ["The Newton Group", "Newton PLC", "NEWTON", "Other"]:
        CompanyFactory(name=name)
    assert [text for _, text in suggestions(viewer_client, "newton")] == ["NEWTON", "Newton PLC", "The Newton Group"]


def test_suggestions_find_a_company_sharing_a_word_of_the_typed_name(viewer_client):
    CompanyFactory(name="Newton PLC")
    CompanyFactory(name="Acme Ltd")
    assert [text for _, text in suggestions(viewer_client, "Newton Ltd")] == ["Newton PLC", "Acme Ltd"]


def test_suggestions_offer_at_most_eight(viewer_client):
    for index in range(12):
        CompanyFactory(name=f"Acme {index:02d}")
    assert [text for _, text in suggestions(viewer_client, "acme")] == [f"Acme {index:02d}" for index in range(8)]


def test_staff_who_may_add_companies_are_offered_to_create_a_name_no_company_has(staff_client):
    newton = CompanyFactory(name="Newton PLC")
    assert suggestions(staff_client, " Newton ") == [
        (f"company:{newton.pk}", "Newton PLC"),
        ("create:Newton", "Create company “Newton”"),
    ]
    assert suggestions(staff_client, "NEWTON plc") == [(f"company:{newton.pk}", "Newton PLC")]


def test_viewers_and_staff_without_add_company_are_never_offered_to_create(viewer_client, client):
    CompanyFactory(name="Newton PLC")
    assert [text for _, text in suggestions(viewer_client, "Newton")] == ["Newton PLC"]
    client.force_login(staff_without_add_company())
    assert [text for _, text in suggestions(client, "Newton")] == ["Newton PLC"]


def test_suggestions_escape_names_inside_the_attribute(viewer_client):
    CompanyFactory(name='<script>alert("x")</script>')
    page = viewer_client.get(reverse("companies:suggestions"), {"q": "script"}).content.decode()
    assert "<script>" not in page
    assert 'data-value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in page


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("\x00", ["100% Fun", "Acme", "Snake_case"]),
        ("ac\x00me", ["Acme"]),
        ("x" * 10_000, []),
        ("%", ["100% Fun"]),
        ("_", ["Snake_case"]),
        ("<b>", []),
    ],
)
def test_suggestions_survive_hostile_input_and_take_it_literally(staff_client, typed, expected):
    """NUL is dropped (nothing left means the first companies); % and _ are letters; a 10 kB name is too long."""
    for name in ["Acme", "100% Fun", "Snake_case"]:
        CompanyFactory(name=name)
    options = suggestions(staff_client, typed)
    assert [text for choice, text in options if choice.startswith("company:")] == expected
    assert not any(len(choice) > 300 for choice, _ in options)


def test_suggestions_read_the_typed_name_from_a_contact_form_row(viewer_client):
    """A company row of the contact form sends its own field name rather than q."""
    CompanyFactory(name="Acme")
    CompanyFactory(name="Other")
    page = viewer_client.get(reverse("companies:suggestions"), {"companies-3-company": "acm"}).content.decode()
    assert page.count('role="option"') == 1
    assert 'data-value="Acme"' in page


def test_suggestions_need_a_login_and_the_view_permission(client):
    CompanyFactory(name="Acme")
    url = reverse("companies:suggestions")
    assert client.get(url, {"q": "acme"})["Location"].startswith(reverse("login"))
    client.force_login(UserFactory())
    assert client.get(url, {"q": "acme"}).status_code == 403


def test_suggestions_query_count(staff_client, django_assert_num_queries):
    CompanyFactory.create_batch(30)
    with django_assert_num_queries(len([*REQUEST, "the eight closest companies"])):
        staff_client.get(reverse("companies:suggestions"), {"q": "company"})


# ---------- Company page: members, their access, adding, changing, removing ----------


def test_adding_a_member_by_email_links_them_and_records_it(staff_client, staff_user, acme, ann):
    response = staff_client.post(
        reverse("companies:member_add", args=[acme.pk]), {"email": " ann.lee@example.COM ", "portal_access": "inherit"}
    )
    assert response.status_code == 302
    assert response.url == acme.get_absolute_url()
    membership = Membership.objects.get(company=acme, contact=ann)
    assert membership.portal_access == MembershipAccess.INHERIT
    activity = ann.activities.get()
    assert (activity.event, activity.body, activity.actor) == (
        "company_added",
        "Added to Acme: As set in the Company Page",
        staff_user,
    )
    page = staff_client.get(response.url).content.decode()
    assert "Ann Lee added to Acme." in page
    assert "As set in the Company Page: Access all company&#x27;s tickets" in page


def test_a_member_can_be_added_with_their_own_permission(staff_client, acme, ann):
    staff_client.post(
        reverse("companies:member_add", args=[acme.pk]), {"email": ann.email, "portal_access": "personal"}
    )
    membership = Membership.objects.select_related("company").get(contact=ann)
    assert membership.portal_access_reason == "Overridden: Access personal tickets only"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "nobody@example.com"}, "email", "No contact with this email. Add the contact first."),
        ({"email": "gone@example.com"}, "email", "No contact with this email. Add the contact first."),
        ({"email": "bob@example.com"}, "email", "Bob Ray already belongs to Acme."),
        ({"email": "not an email"}, "email", "Enter an email address like name@example.com"),
        ({"email": ""}, "email", "Enter the email of the contact to add"),
        ({"email": "ann\x00@example.com"}, "email", "hidden control character"),
        ({"email": "a" * 10_000 + "@example.com"}, "email", "254 characters or fewer"),
        ({"email": "ann.lee@example.com", "portal_access": "everyone"}, "portal_access", "in the list"),
    ],
)
def test_adding_a_member_with_bad_input_shows_the_error_by_the_field_and_writes_nothing(
    staff_client, acme, ann, data, field, message
):
    ContactFactory(email="gone@example.com", deleted_at=timezone.now())
    MembershipFactory(company=acme, contact=ContactFactory(first_name="Bob", last_name="Ray", email="bob@example.com"))
    posted = {"portal_access": "personal", **data}
    response = staff_client.post(reverse("companies:member_add", args=[acme.pk]), posted)
    assert response.status_code == 200
    form = response.context["member_form"]
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    assert page.count("There is a problem") == 1
    assert "<title>Error: Acme" in page
    assert 'aria-invalid="true"' in page
    # What was typed is kept (the NUL and the 10 kB cases are checked by the form's own value).
    typed = data["email"]
    if typed and "\x00" not in typed and len(typed) < 300:
        assert f'value="{typed}"' in page
    assert form["email"].value() == typed
    if field != "portal_access":
        assert '<option value="personal" selected>' in page
    assert Membership.objects.filter(company=acme).count() == 1
    assert not ann.activities.exists()


def test_changing_a_members_permission_overrides_the_company_default_and_is_recorded(staff_client, acme, ann):
    membership = MembershipFactory(company=acme, contact=ann)
    url = reverse("companies:member_update", args=[acme.pk, membership.pk])
    response = staff_client.post(url, {"portal_access": "personal"}, follow=True)
    page = response.content.decode()
    assert "Customer Portal permission for Ann Lee saved." in page
    assert "Overridden: Access personal tickets only" in page
    assert ann.activities.get().body == "Acme: Access personal tickets only"


def test_setting_a_member_back_to_inherit_follows_the_company_again(staff_client, acme, ann):
    membership = MembershipFactory(company=acme, contact=ann, portal_access=MembershipAccess.PERSONAL)
    staff_client.post(reverse("companies:member_update", args=[acme.pk, membership.pk]), {"portal_access": "inherit"})
    membership.refresh_from_db()
    assert membership.portal_access_reason == "As set in the Company Page: Access all company's tickets"
    assert ann.activities.get().event == "portal_access_changed"


@pytest.mark.parametrize("value", ["everyone", "", "\x00"])
def test_an_unknown_permission_is_refused_with_a_message(staff_client, acme, ann, value):
    membership = MembershipFactory(company=acme, contact=ann)
    url = reverse("companies:member_update", args=[acme.pk, membership.pk])
    page = staff_client.post(url, {"portal_access": value}, follow=True).content.decode()
    assert "Customer Portal permission" in page
    assert "message--error" in page
    membership.refresh_from_db()
    assert membership.portal_access == MembershipAccess.INHERIT
    assert not ann.activities.exists()


def test_changing_the_company_default_changes_every_inheriting_member_at_once(staff_client, acme, ann):
    MembershipFactory(company=acme, contact=ann)
    bob = MembershipFactory(company=acme, portal_access=MembershipAccess.COMPANY).contact
    staff_client.post(
        reverse("companies:update", args=[acme.pk]),
        {"name": "Acme", "domain": "", "default_portal_access": "personal"},
    )
    page = staff_client.get(acme.get_absolute_url()).content.decode()
    assert "As set in the Company Page: Access personal tickets only" in page
    assert "Overridden: Access all company&#x27;s tickets" in page
    assert ann.activities.get().body == "Acme changed its Customer Portal permission to Access personal tickets only"
    assert not bob.activities.exists()


def test_removing_a_member_unlinks_them_and_records_it(staff_client, acme, ann):
    membership = MembershipFactory(company=acme, contact=ann)
    url = reverse("companies:member_remove", args=[acme.pk, membership.pk])
    response = staff_client.post(url, follow=True)
    assert "Ann Lee removed from Acme." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert ann.activities.get().body == "Removed from Acme"


@pytest.mark.parametrize("url_name", ["companies:member_update", "companies:member_remove"])
def test_member_actions_answer_404_for_another_companys_member_or_one_in_the_trash(staff_client, acme, url_name):
    elsewhere = MembershipFactory()
    trashed = MembershipFactory(company=acme, contact=ContactFactory(deleted_at=timezone.now()))
    for company_pk, membership_pk in [(acme.pk, elsewhere.pk), (acme.pk, trashed.pk), (999_999, elsewhere.pk)]:
        response = staff_client.post(reverse(url_name, args=[company_pk, membership_pk]), {"portal_access": "company"})
        assert response.status_code == 404
    assert Membership.objects.filter(portal_access=MembershipAccess.COMPANY).count() == 0
    assert Membership.objects.count() == 2


@pytest.mark.parametrize("url_name", ["companies:member_update", "companies:member_remove"])
def test_member_actions_answer_404_for_a_company_id_beyond_64_bits_never_a_500(
    staff_client, production, acme, ann, url_name
):
    """The member is real; the company id no column holds is read through the member's foreign key."""
    membership = MembershipFactory(company=acme, contact=ann)
    response = staff_client.post(reverse(url_name, args=[2**64, membership.pk]), {"portal_access": "company"})
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).portal_access == MembershipAccess.INHERIT


def test_members_in_the_trash_are_not_listed(viewer_client, acme, ann):
    MembershipFactory(company=acme, contact=ann)
    MembershipFactory(company=acme, contact=ContactFactory(first_name="Gone", deleted_at=timezone.now()))
    response = viewer_client.get(acme.get_absolute_url())
    assert [m.contact for m in response.context["memberships"]] == [ann]


def test_staff_see_a_labelled_form_per_member_and_the_add_member_form(staff_client, acme, ann):
    MembershipFactory(company=acme, contact=ann)
    page = staff_client.get(acme.get_absolute_url()).content.decode()
    assert "Customer Portal permission for Ann Lee</label>" in page
    for option in ("As set in the Company Page", "Access personal tickets only", "Access all company&#x27;s tickets"):
        assert option in page
    assert 'Save<span class="visually-hidden"> permission for Ann Lee</span>' in page
    assert 'Remove<span class="visually-hidden"> Ann Lee from Acme</span>' in page
    assert "Email of the contact" in page
    assert "Add member" in page


def test_viewers_see_the_members_but_no_forms(viewer_client, acme, ann):
    MembershipFactory(company=acme, contact=ann)
    page = viewer_client.get(acme.get_absolute_url()).content.decode()
    assert "Ann Lee" in page
    assert "As set in the Company Page: Access all company&#x27;s tickets" in page
    for hidden in ("Save", "Remove", "Add member", "Email of the contact", "<form", "<select"):
        assert hidden not in page.split("<main", 1)[1].split("</main>")[0], hidden


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("companies:member_add", {"email": "ann.lee@example.com", "portal_access": "company"}),
        ("companies:member_update", {"portal_access": "company"}),
        ("companies:member_remove", {}),
    ],
)
def test_viewers_get_403_on_member_changes_and_nothing_changes(viewer_client, acme, ann, url_name, data):
    bob = MembershipFactory(company=acme)
    args = [acme.pk] if url_name == "companies:member_add" else [acme.pk, bob.pk]
    response = viewer_client.post(reverse(url_name, args=args), data)
    assert response.status_code == 403
    assert list(Membership.objects.values_list("contact_id", "portal_access")) == [(bob.contact_id, "inherit")]
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("companies:member_add", {"email": "ann.lee@example.com", "portal_access": "company"}),
        ("companies:member_update", {"portal_access": "company"}),
        ("companies:member_remove", {}),
    ],
)
def test_member_changes_without_a_csrf_token_are_refused(manager, acme, ann, url_name, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    bob = MembershipFactory(company=acme)
    args = [acme.pk] if url_name == "companies:member_add" else [acme.pk, bob.pk]
    assert client.post(reverse(url_name, args=args), data).status_code == 403
    assert list(Membership.objects.values_list("contact_id", "portal_access")) == [(bob.contact_id, "inherit")]


@pytest.mark.parametrize("url_name", ["companies:member_add", "companies:member_update", "companies:member_remove"])
def test_member_changes_are_post_only(staff_client, acme, url_name):
    membership = MembershipFactory(company=acme)
    args = [acme.pk] if url_name == "companies:member_add" else [acme.pk, membership.pk]
    assert staff_client.get(reverse(url_name, args=args)).status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_company_page_with_member_forms_query_count(staff_client, django_assert_num_queries, rows):
    company = CompanyFactory()
    for _ in range(rows):
        MembershipFactory(company=company)
    MembershipFactory(company=company, contact=ContactFactory(deleted_at=timezone.now()))
    expected = [
        *REQUEST,
        "the company",
        "its members outside the trash, each with its contact and company (for the access reason)",
        "what each member sees in the portal: the members with company-wide access",
        "the company's tickets, counted",
        "each member's own tickets in it, counted",
        "its latest tickets with their requesters",
    ]
    with django_assert_num_queries(len(expected)):
        response = staff_client.get(reverse("companies:detail", args=[company.pk]))
    assert response.content.decode().count("Save<span") == rows


# ---------- Contacts to add, for the Add member <datalist> (companies:member_options) ----------


def test_member_options_suggest_live_contacts_not_yet_members_by_email_or_name(staff_client, acme, ann):
    ContactFactory(first_name="Annabel", last_name="Ray", email="bel@example.com")
    ContactFactory(first_name="Ann", last_name="Gone", email="ann.gone@example.com", deleted_at=timezone.now())
    MembershipFactory(company=acme, contact=ContactFactory(first_name="Ann", last_name="Member"))
    ContactFactory(first_name="Zed", email="zed@example.com")
    page = staff_client.get(reverse("companies:member_options", args=[acme.pk]), {"email": "ann"}).content.decode()
    assert '<option value="Ann.Lee@Example.com">Ann Lee</option>' in page
    assert '<option value="bel@example.com">Annabel Ray</option>' in page
    assert page.count("<option") == 2


def test_member_options_offer_at_most_20_and_nothing_for_an_empty_term(staff_client, acme):
    for index in range(25):
        ContactFactory(email=f"lee{index:02d}@example.com")
    url = reverse("companies:member_options", args=[acme.pk])
    assert staff_client.get(url, {"email": "lee"}).content.decode().count("<option") == 20
    assert "<option" not in staff_client.get(url, {"email": " "}).content.decode()
    assert staff_client.get(url, {"email": "\x00" + "x" * 10_000}).status_code == 200


def test_member_options_need_the_change_permission(viewer_client, acme):
    assert viewer_client.get(reverse("companies:member_options", args=[acme.pk]), {"email": "a"}).status_code == 403


# ---------- HTML in names is text everywhere ----------

HOSTILE_COMPANY = '<script>alert("co")</script>'
HOSTILE_FIRST = '"><img src=x onerror=alert(1)>'


def test_html_in_company_and_contact_names_is_shown_as_text_everywhere(manager_client):
    company = CompanyFactory(name=HOSTILE_COMPANY, domain='"><b>dom</b>')
    contact = ContactFactory(first_name=HOSTILE_FIRST, last_name="<i>Lee</i>", email="x@example.com")
    membership = MembershipFactory(company=company, contact=contact)
    ContactFactory(first_name=HOSTILE_FIRST, email="y@example.com")
    pages = {
        "list": manager_client.get(reverse("companies:list"), {"q": "script"}),
        "detail": manager_client.get(company.get_absolute_url()),
        "suggestions": manager_client.get(reverse("companies:suggestions"), {"q": "script"}),
        "member options": manager_client.get(reverse("companies:member_options", args=[company.pk]), {"email": "y@"}),
        "change message": manager_client.post(
            reverse("companies:member_update", args=[company.pk, membership.pk]),
            {"portal_access": "company"},
            follow=True,
        ),
        "duplicate error": manager_client.post(
            reverse("companies:member_add", args=[company.pk]), {"email": contact.email, "portal_access": "inherit"}
        ),
        "remove message": manager_client.post(
            reverse("companies:member_remove", args=[company.pk, membership.pk]), follow=True
        ),
    }
    for name, response in pages.items():
        page = response.content.decode()
        for raw in (HOSTILE_COMPANY, HOSTILE_FIRST, "<i>Lee</i>", "<b>dom</b>"):
            assert raw not in page, (name, raw)
    assert "&lt;script&gt;alert(&quot;co&quot;)&lt;/script&gt;" in pages["detail"].content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages["member options"].content.decode()
    assert "&lt;i&gt;Lee&lt;/i&gt; already belongs to &lt;script&gt;" in pages["duplicate error"].content.decode()
    assert "removed from &lt;script&gt;" in pages["remove message"].content.decode()
