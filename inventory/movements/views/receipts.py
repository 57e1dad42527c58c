"""PLACEHOLDER until its helper lands: every view answers 404."""

from django.http import Http404


def receipt_list(request, pk=None):
    raise Http404


def receipt_create(request, pk=None):
    raise Http404


def receipt_detail(request, pk=None):
    raise Http404


def receipt_close(request, pk=None):
    raise Http404
