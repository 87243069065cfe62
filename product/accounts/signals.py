"""Accept the invitation a person arrived with, as soon as they are signed in.

The invitation link stores its token in the session (views.invitation_accept); sign-up, email
verification and log-in keep the session, so the first successful log-in as the invited address
accepts it. A log-in as another address leaves it alone: the invitation page then says why.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.contrib import messages
from django.dispatch import receiver
from django.http import HttpRequest

from product.accounts import services
from product.accounts.models import User
from product.accounts.selectors import (
    CURRENT_WORKSPACE_SESSION_KEY,
    PENDING_INVITATION_SESSION_KEY,
    get_invitation_by_id,
)
from product.core.errors import show_error


@receiver(user_logged_in)
def accept_pending_invitation(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    token = request.session.get(PENDING_INVITATION_SESSION_KEY)
    if not token:
        return
    try:
        invitation = get_invitation_by_id(services.invitation_id_from_token(token))
        if invitation is None:
            raise services.InvitationNotFound("This invitation no longer exists.")
        membership = services.accept_invitation(invitation=invitation, user=user)
    except services.InvitationForSomeoneElse:
        return  # keep the token: the redirect shows the invitation page with the reason
    except services.InvitationError as exc:
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        show_error(request, exc)
        return
    request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
    request.session[CURRENT_WORKSPACE_SESSION_KEY] = str(membership.workspace_id)
    messages.success(request, f"You joined {membership.workspace.name}.")
