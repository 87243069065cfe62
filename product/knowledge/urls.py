from django.urls import path

from product.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.collection_list, name="collection-list"),
    path("embedding-index/switch/", views.embedding_index_switch, name="embedding-index-switch"),
    path("embedding-index/cancel/", views.embedding_index_cancel, name="embedding-index-cancel"),
    path("<uuid:pk>/", views.collection_detail, name="collection-detail"),
    path("<uuid:pk>/edit/", views.collection_update, name="collection-update"),
    path("<uuid:pk>/delete/", views.collection_delete, name="collection-delete"),
    path("<uuid:pk>/upload/", views.collection_upload, name="collection-upload"),
    path("<uuid:pk>/search/", views.collection_search, name="collection-search"),
    path("documents/<uuid:pk>/", views.document_detail, name="document-detail"),
    path("documents/<uuid:pk>/retry/", views.document_retry, name="document-retry"),
    path("documents/<uuid:pk>/delete/", views.document_delete, name="document-delete"),
    path("passages/<int:pk>/", views.passage_detail, name="passage-detail"),
]
