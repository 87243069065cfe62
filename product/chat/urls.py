from django.urls import path

from product.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.conversation_list, name="conversation-list"),
    path("new/", views.conversation_new, name="conversation-create"),
    path("<uuid:pk>/", views.conversation_detail, name="conversation-detail"),
    path("<uuid:pk>/messages/", views.message_create, name="message-create"),
    path("<uuid:pk>/rename/", views.conversation_rename, name="conversation-rename"),
    path(
        "<uuid:pk>/collection/",
        views.conversation_collection_update,
        name="conversation-collection-update",
    ),
    path("<uuid:pk>/delete/", views.conversation_delete, name="conversation-delete"),
    path("messages/<uuid:pk>/stream/", views.message_stream, name="message-stream"),
    path("messages/<uuid:pk>/stop/", views.message_stop, name="message-stop"),
    path("messages/<uuid:pk>/regenerate/", views.message_regenerate, name="message-regenerate"),
    path("messages/<uuid:pk>/edit/", views.message_edit, name="message-update"),
    path("messages/<uuid:pk>/feedback/", views.message_feedback, name="message-feedback"),
]
