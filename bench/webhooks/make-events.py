#!/usr/bin/env python3
"""Writes N Razorpay payment.captured events for the customers listed (comma-separated ids, taken in turn), each with its own event id and the signature Razorpay
would send (hex HMAC-SHA256 of the body with the webhook secret), one per line: event id, tab, signature, tab, body."""
import hashlib, hmac, json, sys, time

count, customers, secret, run = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3], sys.argv[4]
now = int(time.time())
out = sys.stdout
for i in range(count):
    body = json.dumps({
        "entity": "event", "account_id": "acc_bench", "event": "payment.captured", "contains": ["payment"],
        "payload": {"payment": {"entity": {
            "id": f"pay_{run}{i:09d}", "entity": "payment", "amount": 149900, "currency": "INR", "status": "captured",
            "captured": True, "method": "upi", "order_id": f"order_{run}{i:09d}", "amount_refunded": 0,
            "notes": {"tollgate_customer_id": customers[i % len(customers)]}, "error_code": None, "error_description": None,
            "email": None, "contact": "+919876543210", "created_at": now}}},
        "created_at": now}, separators=(",", ":"))
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    out.write(f"evt_{run}{i:09d}\t{signature}\t{body}\n")
