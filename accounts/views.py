from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts import selectors as account_selectors
from accounts import services, verification
from accounts.forms import InviteForm, LoginForm, OrganizationForm, ProfileForm, SignupForm
from accounts.models import Invitation, Membership, Organization, User
from conference.errors import error_text
from conference.ratelimit import ip_key, limit_logins, setting_rate, user_or_ip_key

MEMBERS_PER_PAGE = 50


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "accounts/ratelimited.html", status=429)


def safe_next(request: HttpRequest, default: str = "home") -> str:
    """``next`` from the query or form, only if it stays on this site (no open redirect)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _sent_verification(request: HttpRequest, user: User) -> None:
    link = services.send_verification_email(user=user)
    if verification.console_backend():
        # make run prints mail on the console, where nobody signing up looks: show the link here.
        messages.info(
            request,
            format_html(
                "E-mail is printed to the server's console here (EMAIL_BACKEND is the console "
                'backend), so this is your verification link: <a href="{}">verify {}</a>',
                link,
                user.email,
            ),
        )
    else:
        messages.info(request, f"We sent a verification link to {user.email}.")


@ratelimit(key=ip_key, rate=setting_rate("RATELIMIT_SIGNUP"), method="POST")
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
        if user.email:
            _sent_verification(request, user)
        return redirect(safe_next(request))
    return render(request, "accounts/signup.html", {"form": form, "next": safe_next(request, "")})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.verify_email(token=token)
    except ValidationError as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, f"{user.email} is verified.")
    return redirect("profile" if request.user.is_authenticated else "home")


@login_required
@require_POST
@ratelimit(key=user_or_ip_key, rate="5/m", method="POST")
def resend_verification(request: HttpRequest) -> HttpResponse:
    try:
        _sent_verification(request, request.user)
    except ValidationError as e:
        messages.error(request, error_text(e))
    return redirect("profile")


@method_decorator(limit_logins, name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # LoginView puts the request's host in ``site_name``; keep the product's name.
        return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"display_name": user.display_name, "email": user.email})
    if request.method == "POST" and form.is_valid():
        old_email = user.email
        services.update_profile(
            user=user,
            display_name=form.cleaned_data["display_name"],
            email=form.cleaned_data["email"] if "email" in request.POST else None,
        )
        messages.success(request, "Profile saved.")
        if user.email and user.email != old_email:
            _sent_verification(request, user)
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
    if me.role != Membership.Role.OWNER:  # only owners invite owners (the service says so too)
        form.fields["role"].choices = [c for c in Membership.Role.choices if c[0] != Membership.Role.OWNER]
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
    search = request.GET.get("q", "").strip()[:100]
    members_page = Paginator(account_selectors.members(org, search=search), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/organization.html",
        {
            "org": org,
            "me": me,
            "form": form,
            "page": members_page,
            "search": search,
            "query": urlencode({"q": search}) if search else "",
            "invitations": account_selectors.pending_invitations(org, me),
            "rooms": org.rooms.filter(archived_at__isnull=True).order_by("name")[:100],
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
    try:
        services.set_organization_settings(
            organization=org,
            by=request.user,
            email_summaries=request.POST.get("email_summaries") == "on",
            require_sso=request.POST.get("require_sso") == "on",
        )
    except ValidationError as e:
        messages.error(request, f"Settings not saved: {error_text(e)}")
    else:
        messages.success(request, "Settings saved.")
    return redirect("organization", slug=org.slug)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    _membership_or_403(request, org)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=org)
    try:
        services.revoke_invitation(invitation=invitation, by=request.user)
    except (PermissionDenied, ValidationError) as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect("organization", slug=org.slug)


@login_required
@require_POST
def resend_invitation(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    _membership_or_403(request, org)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=org)
    try:
        services.resend_invitation(invitation=invitation, by=request.user)
    except (PermissionDenied, ValidationError) as e:
        messages.error(request, error_text(e))
    else:
        messages.success(request, f"The invitation to {invitation.email} was sent again, with a new link.")
    return redirect("organization", slug=org.slug)


@login_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("organization"), token=token)
    if request.method == "POST":
        try:
            services.accept_invitation(invitation=invitation, user=request.user)
        except ValidationError as e:
            messages.error(request, error_text(e))
            return redirect("accept_invitation", token=token)
        messages.success(request, f"You joined {invitation.organization.name}.")
        return redirect("home")
    problem = services.invitation_problem(invitation, request.user)
    return render(request, "accounts/invitation.html", {"invitation": invitation, "problem": problem})
