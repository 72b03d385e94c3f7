"""The helpdesk end to end, as help article 000 tells it: a mail opens a ticket and adds its sender, the
customer signs in to the Customer Portal with an emailed link and sees exactly what their company link
allows, replies there; staff see the reply on the Tickets page and answer, and the answer arrives by mail.

Mail goes to a real SMTP server on loopback (aiosmtpd), through the outbox and the worker's task.
"""

import email
import email.policy
import re

import pytest
from playwright.sync_api import Page, expect

from companies.models import CompanyAccess, MembershipAccess
from tests.browser.test_send_message import smtp  # noqa: F401 (a fixture)
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory
from tests.jobs.support import run_queued
from tests.tickets.support import mail
from tickets.models import Ticket
from tickets.services.intake import mail_receive

pytestmark = pytest.mark.django_db(transaction=True)


def delivered(catcher, to: str) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in catcher.messages]
    return [message for message in found if to in message["To"]]


def test_a_customer_signs_in_sees_their_companys_tickets_replies_and_gets_the_answer_by_mail(
    signed_in: Page,
    live_server,
    browser,
    smtp,  # noqa: F811
):
    acme = CompanyFactory(name="Acme", default_portal_access=CompanyAccess.PERSONAL)
    zeta = CompanyFactory(name="Zeta")
    bo = MembershipFactory(
        company=acme, contact=ContactFactory(email="bo@acme.example", first_name="Bo", last_name="Ray")
    ).contact
    MembershipFactory(company=zeta, contact=ContactFactory(email="zed@zeta.example"))
    # Ann's mail opens a ticket and adds her as a contact; staff then link her to Acme with company-wide access.
    mail_receive(raw=mail(sender="Ann Lee <ann@acme.example>", subject="Broken hinge", body="It snapped.").as_bytes())
    ann = Ticket.objects.get().requester
    MembershipFactory(company=acme, contact=ann, portal_access=MembershipAccess.COMPANY)
    mail_receive(raw=mail(sender="bo@acme.example", subject="Invoice for March").as_bytes())
    mail_receive(raw=mail(sender="zed@zeta.example", subject="Zeta private matter").as_bytes())
    assert Ticket.objects.get(subject="Invoice for March").company == acme
    assert bo.pk

    customer = browser.new_context().new_page()
    customer.goto(live_server.url + "/portal/")
    expect(customer.get_by_role("heading", name="Sign in to the Customer Portal")).to_be_visible()
    customer.get_by_label("Email").fill("ann@acme.example")
    customer.get_by_role("button", name="Email me a sign-in link").click()
    expect(customer.get_by_role("heading", name="Check your email")).to_be_visible()
    run_queued()
    [signin_mail] = delivered(smtp, "ann@acme.example")
    link = re.search(r"http://\S+/portal/sign-in/\S+/", signin_mail.get_content())[0]
    customer.goto(link)
    customer.get_by_role("button", name="Sign in").click()

    expect(customer.get_by_role("heading", name="Your tickets")).to_be_visible()
    tickets = customer.get_by_role("table", name="Your tickets")
    expect(tickets).to_contain_text("Broken hinge")
    expect(tickets).to_contain_text("Invoice for March")
    expect(tickets).to_contain_text("Bo Ray · Acme")
    expect(tickets).not_to_contain_text("Zeta private matter")
    customer.get_by_role("link", name=re.compile("Broken hinge")).click()
    expect(customer.get_by_role("region", name="Conversation")).to_contain_text("It snapped.")
    customer.get_by_label("Your reply").fill("Any news on the hinge?")
    customer.get_by_role("button", name="Send reply").click()
    expect(customer.get_by_role("main")).to_contain_text("Your reply has been added.")
    expect(customer.get_by_role("region", name="Conversation")).to_contain_text("Any news on the hinge?")

    staff = signed_in
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    expect(staff.get_by_role("heading", name="Tickets", level=1)).to_be_visible()
    staff.get_by_role("link", name=re.compile("Broken hinge")).click()
    expect(staff.get_by_role("region", name="Conversation")).to_contain_text("Any news on the hinge?")
    staff.get_by_label("Reply").fill("A new hinge is on its way.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_role("main")).to_contain_text("Reply to ann@acme.example is on its way.")
    run_queued()
    ticket = Ticket.objects.get(subject="Broken hinge")
    answer = delivered(smtp, "ann@acme.example")[-1]
    assert answer["Subject"] == f"Re: [#{ticket.pk}] Broken hinge"
    assert "A new hinge is on its way." in answer.get_content()
    staff.reload()
    expect(staff.get_by_role("region", name="Conversation")).to_contain_text("Sent by email")
    customer.reload()
    expect(customer.get_by_role("region", name="Conversation")).to_contain_text("A new hinge is on its way.")
