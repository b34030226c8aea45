"""Notifications of the hub (it holds the credentials): templates, e-mail, WhatsApp, alerts."""
