"""A customer account at a connected shop: its contact found or created by email, details and consent brought over."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import ConsentSource, Contact, Source, Stage
from customers.selectors import contact_live_by_email_for_update
from customers.services import PhoneInput, activity_record, consent_record, contact_create, contact_sync_details
from orders.services.inputs import ShopCustomerInput
from orders.services.placed import SYNC_ATTEMPTS, order_unread_described

logger = logging.getLogger(__name__)


def shop_customer_sync(*, data: ShopCustomerInput, actor: Actor, source_reference: str) -> Contact:
    """Bring a shop's customer account onto its contact, by email, the fixed point.

    An unknown email is a new lead (an account is not yet a sale; its first order makes it a customer).
    A known one gets the account's details as an order's would: synced, or suggested when staff locked
    them. The shop's email consent is appended with the shop's own date when it differs from the
    contact's current consent, so the usual rule (latest by the moment given) decides what is current.
    """
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _shop_customer_sync_once(data=data, actor=actor, source_reference=source_reference)
        except IntegrityError:
            # Two deliveries for one new email raced to create the contact; the loser finds it next time.
            if attempt == SYNC_ATTEMPTS:
                raise
            logger.info("Shop customer %s lost a race on attempt %s; retrying", source_reference, attempt)
    raise AssertionError("unreachable")


def _shop_customer_sync_once(*, data: ShopCustomerInput, actor: Actor, source_reference: str) -> Contact:
    details = {"first_name": data.first_name, "last_name": data.last_name, **data.address}
    contact = contact_live_by_email_for_update(email=data.email)
    if contact is None:
        contact = contact_create(
            email=data.email,
            actor=actor,
            stage=Stage.LEAD,
            source=Source.SHOP,
            phones=[PhoneInput(number=data.phone)] if data.phone else [],
            **details,
        )
    else:
        contact_sync_details(
            contact=contact, details=details, phone=data.phone, source_reference=source_reference, actor=actor
        )
    if data.consent_state is not None and data.consent_state != contact.marketing_consent:
        consent_record(
            contact=contact,
            state=data.consent_state,
            source=ConsentSource.SHOP,
            given_at=data.consent_at or timezone.now(),
            collected_how=f"Email marketing {data.consent_state.label.lower()} in the shop ({source_reference})",
            opt_in_level=data.consent_level,
            actor=actor,
        )
    if data.unread:
        activity_record(
            contact=contact,
            event="details_unread",
            actor=actor,
            body=order_unread_described(unread=data.unread, source_reference=source_reference),
            data={"fields": [detail.field for detail in data.unread]},
        )
    return contact
