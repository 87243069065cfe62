"""The request type of a signed-in page: `request.user` is Keel's User, never AnonymousUser.

It lives here, not in product.core, because it names the User model: core knows no domain app.
"""

from __future__ import annotations

from product.accounts.models import User
from product.core.http import HtmxHttpRequest


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User
