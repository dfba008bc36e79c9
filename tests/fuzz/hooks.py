"""Schemathesis hooks for the API fuzzer (scripts/fuzz.sh).

Ids get real values most of the time: the orgs, customers, tickets, trials, orders,
codes and tokens tests/fuzz/seed.py created, read from $PARTNER_HUB_FUZZ_WORLD. That
goes for path parameters, for the ids in bodies (`customer_org_id`, `target_org_id`,
`order_id`, a usage record's `org_id`...) and in queries (`customer_id`). The value
schemathesis generated stays one of the choices, so unknown and malformed ids are
still sent. Values a stateful link supplies (an org id from a signup's answer...)
win over these: schemathesis gives explicit values precedence.
"""

import hashlib
import json
import os
import re

import schemathesis
from hypothesis import strategies as st
from schemathesis.generation.meta import TestPhase

WORLD = json.load(open(os.environ["PARTNER_HUB_FUZZ_WORLD"]))

ORG_ID = re.compile(r"^[0-9]{8}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# Routes of a partner (its customers, link, orders, licenses, feed, domains): `org_id`
# is one of the partners. Routes of a customer's side: one of the customers.
PARTNER_ROUTES = {
    "addCustomer",
    "listCustomers",
    "getCustomer",
    "removeCustomer",
    "getInviteLink",
    "emailInviteLink",
    "listCustomerNotifications",
    "dismissCustomerNotification",
    "recordOrder",
    "allocateLicenses",
    "listLicenses",
    "customerUsage",
    "partnerUsageExport",
    "listFederatedDomains",
    "addFederatedDomain",
    "linkFederatedDomain",
    "unlinkFederatedDomain",
}
CUSTOMER_ROUTES = {
    "listPartners",
    "leavePartner",
    "workspaceAccess",
    "getWorkspaceTheme",
    "setWorkspaceTheme",
    "approveTrial",
    "declineTrial",
}


def path_pool(operation_id, name):
    """The real values for one path parameter of one operation."""
    if name == "org_id":
        if operation_id in PARTNER_ROUTES:
            return WORLD["partners"]
        if operation_id in CUSTOMER_ROUTES:
            return WORLD["customers"]
        if operation_id == "closeSupportTicket":
            return sorted({t["org_id"] for t in WORLD["tickets"]})
        return WORLD["orgs"]
    return {
        "customer_id": WORLD["customers"],
        "partner_id": WORLD["partners"],
        "code": WORLD["codes"],
        "token": WORLD["invitation_tokens"],
        "email": WORLD["admin_emails"],
        "notification_id": WORLD["notifications"],
        "ticket_id": [t["ticket_id"] for t in WORLD["tickets"]],
        "entitlement_id": WORLD["entitlements"],
        "domain": WORLD["domains"],
        "function": WORLD["functions"],
    }.get(name, [])


# Fields of bodies and queries that name something of the world.
FIELD_POOLS = {
    "org_id": WORLD["orgs"],  # a usage record's org
    "customer_org_id": WORLD["orgs"],
    "target_org_id": WORLD["partners"] + WORLD["customers"],
    "customer_id": WORLD["customers"],
    "order_id": WORLD["orders"],
    # A usage record's day: in the past, so it is not refused as in the future.
    "date": ["2026-01-05", "2025-12-31", "2024-02-29"],
}


def operation_id(context):
    operation = context.operation
    return (operation.definition.raw or {}).get("operationId", "") if operation is not None else ""


def _choices(real, value):
    return st.sampled_from([*real, value]) if real else st.just(value)


def _fields_strategy(value, in_list=False):
    """`value` with each known id field one of its real values or itself. In a list
    (usage records) only real values: one unknown org refuses the whole batch."""

    def field(key, item):
        if key in FIELD_POOLS and isinstance(item, str):
            return st.sampled_from(FIELD_POOLS[key]) if in_list else _choices(FIELD_POOLS[key], item)
        return _fields_strategy(item, in_list)

    if isinstance(value, dict):
        return st.fixed_dictionaries({key: field(key, item) for key, item in value.items()})
    if isinstance(value, list) and value:
        return st.tuples(*(_fields_strategy(item, True) for item in value)).map(list)
    return st.just(value)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Fuzzing and stateful phases: each parameter one of its real values or the generated one."""
    op = operation_id(context)
    return st.fixed_dictionaries(
        {name: _choices(path_pool(op, name), value) for name, value in (path_parameters or {}).items()}
    )


@schemathesis.hook
def flatmap_body(context, body):
    return _fields_strategy(body)


@schemathesis.hook
def flatmap_query(context, query):
    return _fields_strategy(query or {})


def _pick(name, real, value, well_formed):
    """The coverage phase has no strategy to draw from: a real value chosen by a hash of
    the generated one (so the same case always maps alike), or the value itself. A
    malformed id is what its case is about, and is kept."""
    if not real or not isinstance(value, str) or not well_formed(value):
        return value
    index = int(hashlib.sha256(f"{name}={value}".encode()).hexdigest(), 16) % (len(real) + 1)
    return real[index] if index < len(real) else value


def _shape(name):
    if name in ("org_id", "customer_id", "partner_id", "customer_org_id", "target_org_id"):
        return ORG_ID.match
    if name in ("notification_id", "ticket_id", "entitlement_id"):
        return UUID.match
    if name == "date":
        return DATE.match
    return lambda _: True


def _map_fields(value):
    if isinstance(value, dict):
        return {
            key: _pick(key, FIELD_POOLS[key], item, _shape(key)) if key in FIELD_POOLS else _map_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_map_fields(item) for item in value]
    return value


IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")


def _idempotency_key(op, case):
    """Schemathesis draws the same few keys ("0", "!"...) again and again, so nearly every
    POST would be a reuse (422) or a replay. A well-formed key is mostly replaced by one
    derived from the whole request: the same request keeps its key (and is replayed),
    another gets its own. One in eight keeps the drawn key, so reuse is still tried."""
    headers = case.headers or {}
    name = next((n for n in headers if n.lower() == "idempotency-key"), None)
    if name is None or not isinstance(headers[name], str) or not IDEMPOTENCY_KEY.match(headers[name]):
        return
    request = repr((op, case.path_parameters, case.query, case.body, headers[name]))
    digest = hashlib.sha256(request.encode()).hexdigest()
    if int(digest[:8], 16) % 8:
        headers[name] = f"fuzz-{digest[:40]}"


@schemathesis.hook
def map_case(context, case):
    op = operation_id(context)
    _idempotency_key(op, case)
    meta = getattr(case, "_meta", None)
    phase = getattr(getattr(meta, "phase", None), "name", None)
    if phase not in (TestPhase.COVERAGE, TestPhase.EXAMPLES):
        return case
    if case.path_parameters:
        case.path_parameters = {
            name: _pick(name, path_pool(op, name), value, _shape(name)) for name, value in case.path_parameters.items()
        }
    if isinstance(case.body, (dict, list)):
        case.body = _map_fields(case.body)
    if case.query:
        case.query = _map_fields(case.query)
    return case
