from django.shortcuts import render

from ..selectors import stats


def home(request):
    return render(request, "complaints/home.html", {"figures": stats.home_figures()})
