"""The closed vocabularies of the domain (SPEC §3, §4, §5); values are what the warehouse stores."""

from enum import StrEnum


class Temperature(StrEnum):
    """SPEC §5. Declared hottest first: the order is the merge order of §5.3."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class LeadType(StrEnum):
    """SPEC §4."""

    CONNECTION = "connection"
    RENEWAL = "renewal"
    UPSELL = "upsell"
    SERVICE = "service"
    ACTIVATION = "activation"


class Status(StrEnum):
    """SPEC §3."""

    NEW = "new"
    IN_WORK = "in_work"
    COMPLETED = "completed"
    REFUSED = "refused"
    BLOCKED = "blocked"
    REMOVED = "removed"  # §9.2: removed by a principal for a violation (SPEC §14), never deleted


OPEN_STATUSES: tuple[Status, ...] = (Status.NEW, Status.IN_WORK)


class Channel(StrEnum):
    """How an SC hears of a lead (SPEC §8): hot at once, warm and cold in the daily digest.
    Also the `kind` of a `notifications` row."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class NoticeCause(StrEnum):
    """What an SC is told of (SPEC §8): a transfer is an assignment for notification purposes."""

    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"


class DeliveryStatus(StrEnum):
    """`notifications.status`: pending until the server accepts the message, or failed for good."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Initiator(StrEnum):
    """Who starts a lead of a source (Appendix 1)."""

    CLIENT = "client"
    PRINCIPAL = "principal"
    SC = "sc"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class BookingKind(StrEnum):
    """SPEC §7, in the order assignment prefers them (§6)."""

    LEAD = "lead"
    INVOICE = "invoice"
    PAID_PERIOD = "paid_period"


class ReasonCode(StrEnum):
    """Why a feed row went to quarantine (docs/contract.md)."""

    MISSING_CONTACTS = "missing_contacts"
    FICTITIOUS_PHONE = "fictitious_phone"
    FICTITIOUS_EMAIL = "fictitious_email"
    BAD_INN = "bad_inn"
    BAD_KPP = "bad_kpp"
    MISSING_INN = "missing_inn"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_REGION = "unknown_region"
    NOT_NEW_SALE = "not_new_sale"
    NO_ACTIVE_PERIOD = "no_active_period"
    BAD_DATE = "bad_date"
    BAD_LEAD_TYPE = "bad_lead_type"
    BAD_TEMPERATURE = "bad_temperature"
    ALREADY_INGESTED = "already_ingested"
    BAD_EVENT = "bad_event"  # billing: not one of the billing events
    UNKNOWN_SC = "unknown_sc"  # billing: no such service centre
    MISSING_INVOICE = "missing_invoice"  # billing: an invoice event without its invoice id
    MALFORMED_ROW = "malformed_row"  # a CSV line that does not split into the header's fields


class ActivityReason(StrEnum):
    """Why a row of SC activity (or a `pp lead …` action) was not applied (SPEC §13)."""

    UNKNOWN_LEAD = "unknown_lead"  # no such lead, or not at an SC yet
    TERMINAL_LEAD = "terminal_lead"  # the lead is completed, refused, blocked: it never changes
    BAD_TRANSITION = "bad_transition"  # the action does not apply to the lead's status
    MISSING_CONTACT = "missing_contact"  # a take, or the refusal of a new lead, without its contact
    MISSING_INVOICE = "missing_invoice"  # a close needing an invoice: none, unknown or another client's
    UNPAID_INVOICE = "unpaid_invoice"  # a close on an invoice not paid yet
    OUT_OF_ORDER = "out_of_order"  # dated before the lead's last recorded event
    UNKNOWN_MANAGER = "unknown_manager"  # not a manager of the lead's SC
    BAD_ACTION = "bad_action"  # an unknown action, a field missing or unreadable


class BillingEvent(StrEnum):
    """Rows of a billing file (docs/contract.md)."""

    INVOICE_ISSUED = "invoice_issued"
    INVOICE_PAID = "invoice_paid"
    PERIOD = "period"


class Contact(StrEnum):
    """How the client was reached when a lead is taken or refused (SPEC §3, §8.2.3); kept in
    the `lead_events` detail."""

    CALL = "call"
    MEETING = "meeting"


class Stage(StrEnum):
    """The steps of a sale recorded on a lead in work; kept in the `lead_events` detail."""

    OFFER_MADE = "offer_made"
    DEMO_HELD = "demo_held"
    INVOICE_AGREED = "invoice_agreed"
    INVOICE_ISSUED = "invoice_issued"


class EventKind(StrEnum):
    """Kinds of `lead_events` rows: the lead's history."""

    CREATED = "created"
    MERGED = "merged"
    ASSIGNED = "assigned"
    TAKEN = "taken"
    POSTPONED = "postponed"
    STAGE = "stage"
    CLOSED = "closed"
    REFUSED = "refused"
    MANAGER_ASSIGNED = "manager_assigned"
    PLANNED = "planned"
    BLOCKED = "blocked"
    TRANSFERRED = "transferred"
    REMOVED = "removed"


class SanctionKind(StrEnum):
    """Measures of the Sales Support Service that assignment honours (SPEC §11, §9.1)."""

    EXCLUDE = "exclude"  # §9.1.2-3: no new leads for the SC, until the quarter's end or for good
    CLOSE_PRODUCT = "close_product"  # §9.1.5: the SC no longer sells the product
    TRANSFER_CLIENT = "transfer_client"  # §9.1.4: the client x product belongs to another SC


class TransferReason(StrEnum):
    """`lead_transfers.reason`: why a lead moved to another SC (SPEC §6 "Transfer", §9.1)."""

    BREACH = "breach"  # the transfer policy, after a missed deadline
    TRANSFER_CLIENT = "transfer_client"  # a principal gave the client to another SC (§9.1.4)
    PRINCIPAL = "principal"  # a principal moved the one lead (§9.1.1 for a breach, §9.3), with a note


class WaitingReason(StrEnum):
    """Why an open lead waits without an SC (SPEC §6 rule 4, §15); `leads.waiting_reason`."""

    NO_REGION = "no_region"  # neither the feed nor the INN gave the client's region
    NO_SC_IN_REGION = "no_sc_in_region"  # no SC serves the region
    NO_SC_SELLS_PRODUCT = "no_sc_sells_product"  # SCs serve the region, none sells the product
    ALL_EXCLUDED = "all_excluded"  # every SC that would take it is excluded or has the product closed


class Violation(StrEnum):
    """The clauses a principal removes a lead for (§9.2, SPEC §14); the value is the clause."""

    NO_INTENT_TO_SELL = "8.2.1"  # a connection without intent to sell
    FICTITIOUS_CONTACTS = "8.2.4"  # empty or fictitious contacts
