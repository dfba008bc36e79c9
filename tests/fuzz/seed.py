"""Builds the world the API fuzzer works in, through the API itself, and writes the
ids and tokens to a JSON file that tests/fuzz/hooks.py reads.

    python tests/fuzz/seed.py http://127.0.0.1:3631 .local/test/fuzz-world.json

One person, the fuzzer's administrator, is the only full administrator of every org
here (so no fuzzed request can take its standing away: removing or downgrading it is
409 last_full_admin):
- P, a CSA + CSP partner, and Q, a CSA partner;
- customers P added (multi-tenant, the administrator's access granted via P), and
  customers that accepted P's (and Q's) invitation link (standard tenancy);
- on P: an order with allocations, support tickets, a federated domain linked to a
  customer, a pending administrator invitation (and its emailed accept token) and an
  accepted one; on the customers: trials waiting for approval, tickets, usage;
- the partners' feeds of customer notifications.
"""

import json
import re
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
OUT = sys.argv[2]
ADMIN = "fuzz-admin@fuzz.example.com"
OTHER = "fuzz-other@fuzz.example.com"
# Contact emails are unique per run: an org is created once per contact email.
RUN = str(int(time.time() * 1000))


def call(method, path, token=None, body=None, expect=(200, 201, 202, 204)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status not in expect:
        sys.exit(f"seed: {method} {path} answered {status}: {text}")
    return json.loads(text) if text.strip() else None


def token(**claims):
    return call("POST", "/local/token", body=claims)["token"]


def main():
    admin = token(email=ADMIN)
    other = token(email=OTHER)
    machine = token(scope="usage:write orders:write trials:approve")
    orders_feed = token(scope="orders:write")
    sales_desk = token(scope="trials:approve")
    telemetry = token(scope="usage:write")

    def org(name, programs=()):
        org_id = call("POST", "/v1/signup", admin, {"name": name, "country": "US"})["org_id"]
        for program in programs:
            call("POST", f"/v1/orgs/{org_id}/programs", admin, {"program": program})
        return org_id

    partner = org("Fuzz Partner P", ["CSA", "CSP"])
    partner2 = org("Fuzz Partner Q", ["CSA"])
    plain = org("Fuzz Plain Org")

    added = []
    for n in range(3):
        answer = call(
            "POST",
            f"/v1/orgs/{partner}/customers",
            admin,
            {"company_name": f"Fuzz Added {n}", "contact_email": f"contact{n}.{RUN}@fuzz.example.com"},
        )
        added.append(answer["customer"]["org_id"])

    code = call("GET", f"/v1/orgs/{partner}/invite-link", admin)["code"]
    code2 = call("GET", f"/v1/orgs/{partner2}/invite-link", admin)["code"]
    invited = []
    for n in range(3):
        customer = org(f"Fuzz Invited {n}")
        call("POST", f"/v1/invite/{code}/accept", admin, {"customer_org_id": customer})
        call("POST", f"/v1/invite/{code2}/accept", admin, {"customer_org_id": customer})
        invited.append(customer)
    customers = added + invited

    # Orders (the commerce feed) and an allocation to the partner's own account.
    orders = []
    for n, tenancy in enumerate(["multi", "multi", "single"]):
        order_id = f"FUZZ-ORDER-{n}"
        call(
            "POST",
            f"/v1/orgs/{partner}/orders",
            orders_feed,
            {
                "order_id": order_id,
                "service": "daas",
                "quantity": 1000,
                "tenancy": tenancy,
                "placed_at": "2025-01-15T00:00:00Z",
            },
        )
        orders.append(order_id)
    call(
        "POST",
        f"/v1/orgs/{partner}/license-allocations",
        admin,
        {"order_id": orders[0], "target_org_id": partner, "quantity": 5},
    )

    # Trials waiting for the sales desk (daas needs approval), a paid gateway
    # subscription with a commitment, and usage for both.
    entitlements = []
    for customer in customers:
        trial = call("POST", f"/v1/orgs/{customer}/services", admin, {"service": "daas", "kind": "trial"})
        entitlements.append(trial["entitlement_id"])
        call(
            "POST",
            f"/v1/orgs/{customer}/services",
            admin,
            {"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "committed_gb": 100},
        )
    records = []
    for customer in customers:
        for day in ("2026-01-05", "2026-02-10"):
            records.append({"org_id": customer, "service": "daas", "date": day, "user": "u1", "assigned": True, "active": True})
            records.append({"org_id": customer, "service": "gateway", "date": day, "bandwidth_mb": 1234.5})
    call("POST", "/v1/usage-records", telemetry, {"records": records})
    call("POST", "/local/schedules/usage-rollup", expect=(200, 202, 204))

    # Support tickets, on the partner and on its customers.
    tickets = {}
    for org_id in [partner, *customers[:2]]:
        tickets[org_id] = [
            call("POST", f"/v1/orgs/{org_id}/support-tickets", admin, {"subject": f"Fuzz ticket {n}"})["ticket_id"]
            for n in range(2)
        ]

    # A federated domain of the CSP partner, linked to an invited (standard) customer.
    domain = "sso.fuzz.example.com"
    call("PUT", f"/v1/orgs/{partner}/federated-domains/{domain}", admin)
    call("PUT", f"/v1/orgs/{partner}/federated-domains/{domain}/customers/{invited[0]}", admin)

    # Administrators: one accepted (custom access), one pending invitation whose emailed
    # token the fuzzer may try to accept.
    call("POST", f"/v1/orgs/{partner}/admin-invitations", admin, {"email": OTHER, "access": "custom", "permissions": ["licensing.view"]})
    call("POST", f"/v1/orgs/{partner}/admin-invitations", admin, {"email": "fuzz-pending@fuzz.example.com", "access": "full"})
    invitation_tokens = []
    for _ in range(100):
        # /local/emails may be briefly unavailable; the tokens are only a nicety.
        mails = call("GET", "/local/emails", expect=(200, 503)) or []
        if not isinstance(mails, list):
            mails = []
        invitation_tokens = [
            match
            for mail in mails
            for match in re.findall(r"/admin-invitations/([A-Za-z0-9_-]+)", mail.get("text", ""))
        ]
        if len(invitation_tokens) >= 2:
            break
        time.sleep(0.2)
    if not invitation_tokens:
        print("seed: warning: no AdminInvited email could be read; invitation tokens are generated only")
    for invitation in invitation_tokens:
        # The OTHER person's invitation is taken up; the pending one stays pending.
        call("POST", f"/v1/admin-invitations/{invitation}/accept", other, expect=(200, 403, 410))

    # The partner's feed of its customers' notifications (ServiceAdded, tickets...).
    notifications = []
    for _ in range(50):
        page = call("GET", f"/v1/orgs/{partner}/customer-notifications?limit=100", admin)
        notifications = [item["notification_id"] for item in page["items"]]
        if len(notifications) >= 6:
            break
        time.sleep(0.2)
    own = call("GET", f"/v1/orgs/{partner}/notifications?limit=100", admin)
    notifications += [item["notification_id"] for item in own["items"]][:5]

    world = {
        "tokens": {"admin": admin, "machine": machine, "orders": orders_feed, "sales": sales_desk, "telemetry": telemetry},
        "admin_email": ADMIN,
        "partners": [partner, partner2],
        "csp_partner": partner,
        "customers": customers,
        "added_customers": added,
        "invited_customers": invited,
        "orgs": [partner, partner2, plain, *customers],
        "codes": [code, code2],
        "invitation_tokens": invitation_tokens,
        "admin_emails": [ADMIN, OTHER, "fuzz-pending@fuzz.example.com", f"contact0.{RUN}@fuzz.example.com"],
        "orders": orders,
        "entitlements": entitlements,
        "tickets": [{"org_id": org_id, "ticket_id": t} for org_id, ids in tickets.items() for t in ids],
        "domains": [domain],
        "notifications": notifications,
        "functions": ["usage-rollup", "entitlement-expiry"],
    }
    with open(OUT, "w") as out:
        json.dump(world, out, indent=2)
    print(
        f"seed: partners {partner}, {partner2}; customers {', '.join(customers)}; "
        f"{len(entitlements)} pending trials, {len(world['tickets'])} tickets, {len(notifications)} notifications"
    )


main()
