from django.http import HttpRequest, HttpResponse


def collection_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
