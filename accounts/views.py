from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts import services
from accounts.forms import InviteForm, OrganizationForm, ProfileForm, SignupForm
from accounts.models import Invitation, Membership, Organization
from conference.errors import error_text


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "accounts/ratelimited.html", status=429)


@ratelimit(key="ip", rate="10/m", method="POST", block=True)
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.create_user(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data["email"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(request.GET.get("next") or "home")
    return render(request, "accounts/signup.html", {"form": form})


@method_decorator(ratelimit(key="ip", rate="20/m", method="POST", block=True), name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # LoginView puts the request's host in ``site_name``; keep the product's name.
        return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, initial={"display_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=request.user, display_name=form.cleaned_data["display_name"])
        messages.success(request, "Profile saved.")
        return redirect("profile")
    memberships = request.user.memberships.select_related("organization").order_by("organization__name")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "memberships": memberships, "org_form": OrganizationForm()},
    )


@login_required
@require_POST
def create_organization(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST)
    if form.is_valid():
        org = services.create_organization(name=form.cleaned_data["name"], owner=request.user)
        return redirect("organization", slug=org.slug)
    messages.error(request, "Give the organization a name.")
    return redirect("profile")


def _membership_or_403(request: HttpRequest, org: Organization) -> Membership:
    m = Membership.objects.filter(organization=org, user=request.user).first()
    if m is None:
        raise PermissionDenied
    return m


@login_required
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    me = _membership_or_403(request, org)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not me.is_manager:
            raise PermissionDenied
        if form.is_valid():
            try:
                inv = services.invite_member(
                    organization=org,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except (PermissionDenied, ValidationError) as e:
                messages.error(request, error_text(e))
            else:
                messages.success(request, f"Invitation sent to {inv.email}.")
                return redirect("organization", slug=org.slug)
    return render(
        request,
        "accounts/organization.html",
        {
            "org": org,
            "me": me,
            "form": form,
            "memberships": org.memberships.select_related("user").order_by("user__username"),
            "invitations": org.invitations.filter(accepted_at__isnull=True).order_by("-created_at"),
            "rooms": org.rooms.order_by("name"),
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_POST
def member_update(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    _membership_or_403(request, org)
    target = get_object_or_404(Membership, pk=membership_id, organization=org)
    try:
        if request.POST.get("action") == "remove":
            services.remove_member(membership=target, by=request.user)
            messages.success(request, f"{target.user.name} removed.")
        else:
            services.set_member_role(membership=target, role=request.POST.get("role", ""), by=request.user)
            messages.success(request, f"{target.user.name} is now {target.get_role_display().lower()}.")
    except (PermissionDenied, ValidationError) as e:
        messages.error(request, error_text(e))
    if target.user_id == request.user.id and request.POST.get("action") == "remove":
        return redirect("home")
    return redirect("organization", slug=org.slug)


@login_required
@require_POST
def organization_settings(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    if not _membership_or_403(request, org).is_manager:
        raise PermissionDenied
    services.set_organization_settings(
        organization=org, by=request.user, email_summaries=request.POST.get("email_summaries") == "on"
    )
    messages.success(request, "Settings saved.")
    return redirect("organization", slug=org.slug)


@login_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, token=token)
    if request.method == "POST":
        try:
            services.accept_invitation(invitation=invitation, user=request.user)
        except ValidationError as e:
            messages.error(request, e.messages[0])
            return redirect("home")
        messages.success(request, f"You joined {invitation.organization.name}.")
        return redirect("home")
    return render(request, "accounts/invitation.html", {"invitation": invitation})
