from django.shortcuts import render

from .. import selectors


def home(request):
    return render(request, "complaints/home.html", {"figures": selectors.home_figures()})
