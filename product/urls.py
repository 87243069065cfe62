from django.contrib import admin
from django.urls import include, path

from product.api import api, docs_redirect
from product.chat.views import api_message_stream
from product.core.features import feature_apps

urlpatterns = [
    path("", include("product.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("workspaces/", include("product.accounts.urls")),
    path("keys/", include("product.apikeys.urls")),
    path("observability/", include("product.observability.urls")),
    path("api/docs", docs_redirect, name="api-docs"),
    # SSE streams from a plain async view (ninja routes do not stream); before the API include.
    path("api/v1/messages/<uuid:pk>/stream", api_message_stream, name="api-message-stream"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
# Each feature app at /<label>/ (ask → /ask/, chat → /chat/), under its own URL namespace.
urlpatterns += [
    path(f"{name.rsplit('.', 1)[1]}/", include(f"{name}.urls")) for name in feature_apps()
]
