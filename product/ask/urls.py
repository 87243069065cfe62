from django.urls import path

from product.ask import views

app_name = "ask"
urlpatterns = [
    path("", views.question_list, name="question-list"),
    path("<uuid:pk>/", views.question_detail, name="question-detail"),
    path("<uuid:pk>/cancel/", views.question_cancel, name="question-cancel"),
    path("<uuid:pk>/retry/", views.question_retry, name="question-retry"),
    path("<uuid:pk>/feedback/", views.question_feedback, name="question-feedback"),
]
