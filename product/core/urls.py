from django.urls import path

from product.core import views

app_name = "core"
urlpatterns = [
    path("", views.landing, name="landing-page"),
    path("dashboard/", views.dashboard, name="dashboard-page"),
    path("healthz", views.healthz, name="health-live"),
    path("readyz", views.readyz, name="health-ready"),
]
