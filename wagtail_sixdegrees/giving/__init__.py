"""Giving: the donate block and form, Stripe Checkout, webhooks, receipts and monthly gifts."""
