from django.contrib import admin
from django.urls import include, path

from product.api import api, docs_redirect

urlpatterns = [
    path("", include("product.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("workspaces/", include("product.accounts.urls")),
    path("keys/", include("product.apikeys.urls")),
    path("api/docs", docs_redirect, name="api-docs"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
