"""Parts of other apps' pages made from rooms data (the organization page's usage block)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from accounts.models import Organization
from rooms import selectors

register = template.Library()

USAGE_DAYS = 30


@register.inclusion_tag("rooms/_organization_usage.html", takes_context=True)
def organization_usage(context: template.Context, org: Organization) -> dict[str, Any]:
    """The organization's usage of the last 30 days (show it to its owners/admins only)."""
    return {
        "usage": selectors.organization_usage(org.id, timezone.now() - timedelta(days=USAGE_DAYS)),
        "user": context["user"],
    }
