from django.urls import path

from product.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.workspace_list, name="workspace-list"),
    path("new/", views.workspace_create, name="workspace-create"),
    path("switch/", views.workspace_switch, name="workspace-switch"),
    path("<uuid:pk>/", views.workspace_detail, name="workspace-detail"),
    path("<uuid:pk>/edit/", views.workspace_update, name="workspace-update"),
    path("<uuid:pk>/delete/", views.workspace_delete, name="workspace-delete"),
    path("<uuid:pk>/privacy/", views.workspace_privacy_update, name="workspace-privacy-update"),
    path("<uuid:pk>/leave/", views.workspace_leave, name="workspace-leave"),
    path("<uuid:pk>/invitations/", views.invitation_create, name="invitation-create"),
    path(
        "<uuid:pk>/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("<uuid:pk>/members/<uuid:member_id>/role/", views.member_role, name="member-role"),
    path("<uuid:pk>/members/<uuid:member_id>/remove/", views.member_remove, name="member-remove"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
