"""Signals other parts of the site subscribe to, so the public app never imports them.

``complaint_published`` is sent once a complaint passes moderation, after the transaction commits (a receiver never
sees a complaint that was rolled back). Keyword argument: ``complaint`` (a PublicComplaint, status "published").
The merchant portal queues its webhooks from it.
"""

from __future__ import annotations

from django.dispatch import Signal

complaint_published = Signal()
